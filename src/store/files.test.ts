import { chmodSync, mkdirSync, statSync } from "node:fs";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { tempDir } from "../../test/support/temp.js";
import { StoreRefusal } from "./errors.js";
import { loosePermissions } from "./files.js";
import { Store } from "./index.js";

const tmp = tempDir("jitbot-files-");
afterAll(() => tmp.cleanup());
const modeOf = (path: string) => (statSync(path).mode & 0o777).toString(8);

// SQLite only: PostgreSQL has no file of jitbot's, and any number of replicas share it.
describe("the database's files", () => {
  it("are created private: the folder 0700, the file and SQLite's -wal, -shm and the lock 0600", async () => {
    const file = join(tmp.dir, "fresh", "data", "jitbot.db");
    const store = await Store.open(file);
    await store.audit({ at: new Date(), actor: "U0LEAD", action: "request.approved" });
    expect(modeOf(join(tmp.dir, "fresh", "data"))).toBe("700");
    for (const suffix of ["", "-wal", "-shm", ".lock"])
      expect([suffix, modeOf(`${file}${suffix}`)]).toEqual([suffix, "600"]);
    expect(loosePermissions(file)).toEqual([]);
    await store.close();
  });

  it("that already exist with wider modes are reported, path and mode, and left as they are", async () => {
    const folder = join(tmp.dir, "shared");
    mkdirSync(folder, { mode: 0o755 });
    chmodSync(folder, 0o755);
    const file = join(folder, "jitbot.db");
    await (await Store.open(file)).close();
    chmodSync(file, 0o644);
    const store = await Store.open(file);
    expect(loosePermissions(file)).toEqual([
      { path: folder, mode: "0755", fix: `chmod 700 ${folder}` },
      { path: file, mode: "0644", fix: `chmod 600 ${file}` },
      // SQLite gives the new -wal and -shm the mode of the file it finds.
      { path: `${file}-wal`, mode: "0644", fix: `chmod 600 ${file}-wal` },
      { path: `${file}-shm`, mode: "0644", fix: `chmod 600 ${file}-shm` },
    ]);
    expect(modeOf(file)).toBe("644");
    await store.close();
  });
});

describe("one process per file", () => {
  it("refuses a second store on a file that is open, naming the holder, until the first closes", async () => {
    const file = join(tmp.dir, "locked.db");
    const first = await Store.open(file);
    let refusal: unknown;
    try {
      await Store.open(file);
    } catch (error) {
      refusal = error;
    }
    expect(refusal).toBeInstanceOf(StoreRefusal);
    expect((refusal as StoreRefusal).code).toBe("STORE_IN_USE");
    expect((refusal as Error).message).toBe(
      `another jitbot process (pid ${process.pid}) is using ${file}; one process per file — use JITBOT_DATABASE_URL for several replicas`,
    );
    // The refused open changed nothing: the first store still writes.
    await first.audit({ at: new Date(), actor: "U0LEAD", action: "request.approved" });
    await first.close();
    const again = await Store.open(file);
    expect(await again.verifyAudit()).toMatchObject({ ok: true, events: 1 });
    await again.close();
  });
});
