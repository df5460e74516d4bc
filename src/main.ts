/** `npm start`: the bot, configured from the environment (see src/run.ts and the README). */
import { main } from "./run.js";

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    process.stderr.write(`jitbot: could not start: ${error instanceof Error ? error.message : String(error)}\n`);
    process.exit(1);
  },
);
