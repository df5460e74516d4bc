import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { findFloatingPromises } from "../../scripts/check-floating-promises.js";

/**
 * `npm run check:promises` against a small program: each line marked FINDING (and the bare `void`,
 * which a marker comment would excuse) is reported; every other line is fine.
 */
const SOURCE = `
interface Repo { get(id: string): Promise<{ status: string } | undefined>; mark(id: string): Promise<boolean>; }
interface Port { changed(): void; }
declare function onEvent(listener: () => void): void;
export class Timer implements Port { async changed(): Promise<void> {} }
export async function flows(repo: Repo, ids: string[], log: (fields: object) => void) {
  repo.mark("a"); // FINDING dropped
  if (repo.mark("a")) return; // FINDING condition
  if (ids.length > 0 && !repo.mark("a")) return; // FINDING condition
  void repo.mark("b");
  // The mark is only a hint; nothing reads it back.
  void repo.mark("a");
  ids.filter(async (id) => (await repo.get(id)) !== undefined); // FINDING filter
  ids.map((id) => repo.get(id)); // FINDING map dropped
  const all = ids.map((id) => repo.get(id)); // FINDING map not handed to Promise.all
  await Promise.all(ids.map((id) => repo.get(id)));
  ids.forEach(async (id) => { await repo.mark(id); }); // FINDING forEach
  onEvent(async () => { await repo.mark("a"); }); // FINDING event handler
  log({ request: repo.get("a") }); // FINDING log field
  const text = \`\${repo.get("a")}\`; // FINDING template
  const pending: Promise<void> | undefined = undefined;
  if (pending) await pending;
  await repo.mark("a");
  repo.mark("a").catch(() => undefined);
  let cached: Promise<boolean> | undefined;
  cached ??= repo.mark("a");
  return [all, text, cached];
}
`;

describe("check:promises", () => {
  const dir = mkdtempSync(join(tmpdir(), "jitbot-floating-"));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it("reports each dropped, misused or unexplained promise, and nothing else", () => {
    writeFileSync(join(dir, "flows.ts"), SOURCE);
    writeFileSync(
      join(dir, "tsconfig.json"),
      JSON.stringify({
        compilerOptions: { strict: true, target: "ES2022", module: "NodeNext", lib: ["ES2023", "DOM"], types: [] },
        include: ["flows.ts"],
      }),
    );
    const lines = SOURCE.split("\n");
    const expected = lines.flatMap((line, i) =>
      line.includes("// FINDING") || line.includes('void repo.mark("b")') ? [i + 1] : [],
    );
    // The class method that breaks its `void` contract is on a line of its own.
    const timerLine = lines.findIndex((line) => line.includes("class Timer")) + 1;
    const found = findFloatingPromises(join(dir, "tsconfig.json")).map((f) => f.line);
    expect([...new Set(found)].sort((a, b) => a - b)).toEqual([timerLine, ...expected].sort((a, b) => a - b));
  }, 60_000);
});
