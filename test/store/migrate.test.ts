import { describe, expect, it } from "vitest";
import { SCHEMA_VERSION } from "../../src/store/db.js";
import { Store } from "../../src/store/index.js";
import { jitbot } from "../doctor/output.js";
import { engines } from "../support/postgres.js";

describe.each(engines())("jitbot migrate ($name)", (engine) => {
  it("brings a new database to this jitbot's schema once, and says so", async () => {
    const location = engine.location();
    const env = engine.name === "postgres" ? { JITBOT_DATABASE_URL: location } : { JITBOT_DB: location };
    expect(await jitbot(["migrate"], env)).toEqual({
      code: 0,
      output: `database schema migrated from version 0 to ${SCHEMA_VERSION}\n`,
    });
    expect(await jitbot(["migrate"], env)).toEqual({
      code: 0,
      output: `database schema already at version ${SCHEMA_VERSION}\n`,
    });
    const store = await Store.open(location);
    expect(await store.verifyAudit()).toEqual({ ok: true, events: 0, keyed: 0, anchors: 0 });
    await store.close();
  });
});
