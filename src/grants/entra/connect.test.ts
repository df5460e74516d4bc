import { describe, expect, it } from "vitest";
import { servicePrincipalLogin } from "./connect.js";

/** The words a POSIX shell passes to `az` (single quotes and `\'`: all the DM uses). */
function shellWords(command: string): string[] {
  return [...command.matchAll(/(?:[^\s'\\]+|'[^']*'|\\.)+/g)].map((word) =>
    [...word[0].matchAll(/[^'\\]+|'([^']*)'|\\(.)/g)]
      .map(([piece, quoted, escaped]) => quoted ?? escaped ?? piece)
      .join(""),
  );
}

describe("servicePrincipalLogin", () => {
  it.each([
    ["a secret that starts with a dash", "-6fkdUrc:x-]M63JPPosVWJS47cWiiUX"],
    ["a secret with a tilde and a quote", "~abc'def~"],
    ["a plain secret", "abcDEF123"],
  ])("hands az %s as the value of --password, never as a word of its own", (_, secret) => {
    const words = shellWords(servicePrincipalLogin("tenant-id", "app-id", secret));
    // az's parser reads a separate word starting with "-" as an option (Azure/azure-cli#12105).
    expect(words).toContain(`--password=${secret}`);
    expect(words.filter((w) => w.startsWith("-") && !w.startsWith("--"))).toEqual([]);
  });
});
