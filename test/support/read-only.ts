import { execFileSync } from "node:child_process";
import { chmodSync } from "node:fs";
import { afterAll } from "vitest";

/**
 * Files the process cannot open for writing, put back when the test file is done. chmod stops an
 * ordinary user; root ignores modes, so as root the file is made immutable (chattr +i), which
 * stops root too. Call at the top of a test file.
 */
export function readOnlyFiles(): { make(file: string): void } {
  const immutable: string[] = [];
  afterAll(() => {
    for (const file of immutable.splice(0)) execFileSync("chattr", ["-i", file]);
  });
  return {
    make(file: string) {
      if (process.getuid?.() === 0) {
        execFileSync("chattr", ["+i", file]);
        immutable.push(file);
      } else chmodSync(file, 0o444);
    },
  };
}
