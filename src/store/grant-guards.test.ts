import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { engines } from "../../test/support/postgres.js";
import { countRows, insertRequestIn } from "../../test/support/store-rows.js";
import { DomainError } from "../domain/errors.js";
import type { RequestStatus } from "../domain/status.js";
import type { Store } from "./index.js";

/**
 * The grant rows' guarded UPDATEs, and the approval rows' guard on `pending`. As in guards.test.ts,
 * each case finds the row already moved on by someone else (a sweep, a revoke, a restart's
 * reconcile) and must change nothing: not the grant, not the request, not the audit log.
 */
const at = new Date("2026-03-02T10:00:00Z");
const soon = new Date("2026-03-02T10:30:00Z");
const expiresAt = new Date("2026-03-02T11:00:00Z");
let n = 0;

type GrantStatus = "granting" | "active" | "ended" | "failed";
/** The request status that goes with each grant status. */
const REQUEST_OF: Record<GrantStatus, RequestStatus> = {
  granting: "approved",
  active: "active",
  ended: "expired",
  failed: "failed",
};

const GRANT_STATUSES: GrantStatus[] = ["granting", "active", "ended", "failed"];

describe.each(engines())("the grant rows' guarded transitions ($name)", (engine) => {
  let store: Store;
  beforeAll(async () => {
    store = await engine.open();
  });
  afterAll(() => store.close());
  const request = (status: RequestStatus) => insertRequestIn(store, `JR-H${String(n++).padStart(5, "0")}`, status, at);

  async function grantIn(status: GrantStatus, extra: { endReason?: string } = {}): Promise<string> {
    // A grant starts only on an approved request; then both rows are put where the case needs them.
    const id = await request("approved");
    expect(await store.grants.start({ requestId: id, provider: "entra-group", at, expiresAt })).toBe(true);
    await store.kysely.updateTable("requests").set({ status: REQUEST_OF[status] }).where("id", "=", id).execute();
    await store.kysely
      .updateTable("grants")
      .set({ status, end_reason: extra.endReason ?? null })
      .where("request_id", "=", id)
      .execute();
    return id;
  }

  const snapshot = async (id: string) => ({
    grant: await store.kysely.selectFrom("grants").selectAll().where("request_id", "=", id).executeTakeFirst(),
    request: await store.kysely.selectFrom("requests").selectAll().where("id", "=", id).executeTakeFirst(),
    approvals: await store.kysely.selectFrom("approvals").selectAll().where("request_id", "=", id).execute(),
    audit: await countRows(store, "audit_events"),
  });

  /** Runs `op`; returns what it answered: a value, or the code of what it threw. */
  async function attempt(op: () => Promise<unknown>): Promise<unknown> {
    try {
      return await op();
    } catch (error) {
      return error instanceof DomainError ? error.code : "threw";
    }
  }

  const GRANT_OPS: {
    op: string;
    legal: GrantStatus;
    run: (id: string) => Promise<unknown>;
    refused: unknown;
  }[] = [
    {
      op: "start (a retried grant)",
      legal: "granting",
      run: (id) => store.grants.start({ requestId: id, provider: "entra-group", at: soon, expiresAt }),
      refused: false,
    },
    {
      op: "activate",
      legal: "granting",
      run: (id) => store.grants.activate({ requestId: id, state: { kind: "x" }, at: soon, expiresAt }),
      refused: "threw",
    },
    {
      op: "fail",
      legal: "granting",
      run: (id) => store.grants.fail({ requestId: id, at: soon, reason: "refused" }),
      // Tolerant: another process's reconcile may have failed it already; it must change nothing.
      refused: undefined,
    },
    {
      op: "end (expiry)",
      legal: "active",
      run: (id) => store.grants.end({ requestId: id, reason: "expired", at: soon, actor: "jitbot", detail: "d" }),
      refused: undefined,
    },
    {
      op: "end (revoke)",
      legal: "active",
      run: (id) => store.grants.end({ requestId: id, reason: "revoked", at: soon, actor: "U0ALICE", detail: "d" }),
      refused: undefined,
    },
    {
      op: "an early-revoke request",
      legal: "active",
      run: (id) => store.grants.requestEarlyEnd(id, soon, "U0ALICE"),
      refused: false,
    },
    {
      op: "an extension",
      legal: "active",
      run: (id) => store.grants.extend(id, new Date("2026-03-02T12:00:00Z"), soon, "U0ALICE", "JR-X"),
      refused: false,
    },
    {
      op: "a failed revoke's retry bookkeeping",
      legal: "active",
      run: (id) => store.grants.revokeFailed({ requestId: id, error: "503", nextAttemptAt: soon }),
      refused: undefined,
    },
  ];

  it.each(GRANT_OPS)("$op changes a grant that is $legal", async ({ legal, run }) => {
    const id = await grantIn(legal);
    const before = await snapshot(id);
    await attempt(() => run(id));
    expect(await snapshot(id)).not.toEqual(before);
  });

  const races = GRANT_OPS.flatMap((op) =>
    GRANT_STATUSES.filter((status) => status !== op.legal).map((actual) => ({ ...op, actual })),
  );
  it.each(races)(
    "$op, meant for a grant that is $legal, changes nothing on one that is $actual",
    async ({ run, refused, actual }) => {
      const id = await grantIn(actual);
      const before = await snapshot(id);
      expect(await attempt(() => run(id))).toBe(refused);
      expect(await snapshot(id)).toEqual(before);
    },
  );

  it("never extends a grant whose revoke was already asked for", async () => {
    const id = await grantIn("active", { endReason: "revoked" });
    const before = await snapshot(id);
    expect(await store.grants.extend(id, new Date("2026-03-02T12:00:00Z"), soon, "U0ALICE", "JR-X")).toBe(false);
    expect(await snapshot(id)).toEqual(before);
  });

  it("never extends a grant whose end has passed, even while its revoke is still retrying", async () => {
    const id = await grantIn("active");
    const before = await snapshot(id);
    const afterTheEnd = new Date(expiresAt.getTime() + 1);
    const later = new Date("2026-03-02T12:00:00Z");
    expect(await store.grants.extend(id, later, afterTheEnd, "U0ALICE", "JR-X")).toBe(false);
    expect(await store.grants.extend(id, later, expiresAt, "U0ALICE", "JR-X")).toBe(false);
    expect(await snapshot(id)).toEqual(before);
  });

  describe("decisions on a request that is no longer pending", () => {
    const statuses: RequestStatus[] = [
      "approved",
      "active",
      "expired",
      "revoked",
      "denied",
      "cancelled",
      "timed_out",
      "failed",
    ];
    const cases = statuses.flatMap((status) =>
      (["approve", "deny"] as const).flatMap((decision) => [1, 2].map((required) => ({ status, decision, required }))),
    );
    it.each(cases)(
      "$decision with required: $required on a request that is $status is refused as already decided, recording nothing",
      async ({ status, decision, required }) => {
        const id = await request(status);
        const before = await snapshot(id);
        expect(
          await attempt(() => store.requests.decide({ id, approverId: "U0LEAD", decision, required, at: soon })),
        ).toBe("ALREADY_DECIDED");
        expect(await snapshot(id)).toEqual(before);
      },
    );
  });
});
