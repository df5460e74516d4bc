import { join } from "node:path";
import Database from "better-sqlite3";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { Store } from "../../src/store/index.js";
import { tempDir } from "../support/temp.js";
import { jitbot } from "./output.js";

let tmp: ReturnType<typeof tempDir>;
let dbFile: string;

beforeEach(() => {
  tmp = tempDir("jitbot-audit-");
  dbFile = join(tmp.dir, "jitbot.db");
  const store = Store.open(dbFile);
  for (let i = 1; i <= 5; i++) {
    store.audit({
      at: new Date(Date.UTC(2026, 0, 5, 9, i)),
      actor: "U0LEAD",
      action: "request.approved",
      requestId: `r${i}`,
    });
  }
  store.close();
});
afterEach(() => tmp.cleanup());

/** What someone with write access to the file could do: the triggers only stop honest mistakes. */
function tamper(sql: string): void {
  const db = new Database(dbFile);
  db.exec("DROP TRIGGER IF EXISTS audit_events_no_update; DROP TRIGGER IF EXISTS audit_events_no_delete;");
  db.exec(sql);
  db.close();
}

describe("jitbot audit verify", () => {
  it("confirms an intact chain (exit 0)", async () => {
    const { code, output } = await jitbot(["audit", "verify"], { JITBOT_DB: dbFile });
    expect(code).toBe(0);
    expect(output).toBe("audit log intact: 5 events, every link verified\n");
  });

  it("reports the first broken link when a row was edited in the file (exit 1)", async () => {
    tamper("UPDATE audit_events SET actor = 'U0MALLORY' WHERE seq = 3");
    const { code, output } = await jitbot(["audit", "verify"], { JITBOT_DB: dbFile });
    expect(code).toBe(1);
    expect(output).toBe("audit log BROKEN at event 3: contents do not match its hash (3 events read)\n");
  });

  it("reports a deleted row as missing (exit 1)", async () => {
    tamper("DELETE FROM audit_events WHERE seq = 2");
    const { code, output } = await jitbot(["audit", "verify"], { JITBOT_DB: dbFile });
    expect(code).toBe(1);
    expect(output).toContain("audit log BROKEN at event 3: row 2 is missing");
  });

  it("refuses edits through SQL while the append-only triggers are in place", () => {
    const db = new Database(dbFile);
    expect(() => db.exec("UPDATE audit_events SET actor = 'x' WHERE seq = 1")).toThrow(/append-only/);
    db.close();
  });
});
