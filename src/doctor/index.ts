/** Placeholder until the doctor lands (in progress in this same change). */
export async function runDoctor(_env: NodeJS.ProcessEnv, out: NodeJS.WritableStream): Promise<number> {
  out.write("jitbot doctor is not available in this build\n");
  return 1;
}
