/**
 * One replica of the multi-process tests: the production start-up path (src/run.ts, configured
 * from the environment like `npm start`), with the ScaledClock every replica shares.
 */
import { main } from "../../src/run.js";
import { ScaledClock } from "./scaled-clock.js";

const clock = ScaledClock.fromJson(process.env.JITBOT_CHAOS_CLOCK ?? "{}");
main(process.env, { clock }).then(
  (code) => process.exit(code),
  (error: unknown) => {
    process.stderr.write(`replica: ${error instanceof Error ? error.stack : String(error)}\n`);
    process.exit(1);
  },
);
