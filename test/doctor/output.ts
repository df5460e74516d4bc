import { Writable } from "node:stream";
import { runCli } from "../../src/cli.js";

/** Runs the CLI as `jitbot <args…>` with `env`, collecting what it prints. */
export async function jitbot(args: string[], env: NodeJS.ProcessEnv): Promise<{ code: number; output: string }> {
  const chunks: string[] = [];
  const out = new Writable({
    write(chunk: Buffer | string, _encoding, done) {
      chunks.push(chunk.toString());
      done();
    },
  });
  // runCli's parameter is typed as process.stdout; a Writable is all it uses.
  const code = await runCli(args, env, out as unknown as Parameters<typeof runCli>[2]);
  return { code, output: chunks.join("") };
}
