import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { insertRequestIn } from "../../test/support/store-rows.js";
import { tempDir } from "../../test/support/temp.js";
import { DomainError } from "../domain/errors.js";
import type { RequestStatus } from "../domain/status.js";
import { Store } from "./index.js";

/**
 * The grant rows' guarded UPDATEs, and the approval rows' guard on `pending`. As in guards.test.ts,
 * each case finds the row already moved on by someone else (a sweep, a revoke, a restart's
 * reconcile) and must change nothing: not the grant, not the request, not the audit log.
 */
const tmp = tempDir();
const store = Store.open(join(tmp.dir, "grant-guards.db"));
afterAll(() => {
  store.close();
  tmp.cleanup();
});
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

function request(status: RequestStatus): string {
  return insertRequestIn(store, `JR-H${String(n++).padStart(5, "0")}`, status, at);
}

function grantIn(status: GrantStatus, extra: { endReason?: string } = {}): string {
  // A grant starts only on an approved request; then both rows are put where the case needs them.
  const id = request("approved");
  expect(store.grants.start({ requestId: id, provider: "entra-group", at, expiresAt })).toBe(true);
  store.db.prepare("UPDATE requests SET status = ? WHERE id = ?").run(REQUEST_OF[status], id);
  store.db
    .prepare("UPDATE grants SET status = ?, end_reason = ? WHERE request_id = ?")
    .run(status, extra.endReason ?? null, id);
  return id;
}

const snapshot = (id: string) => ({
  grant: store.db.prepare("SELECT * FROM grants WHERE request_id = ?").get(id),
  request: store.db.prepare("SELECT * FROM requests WHERE id = ?").get(id),
  approvals: store.db.prepare("SELECT * FROM approvals WHERE request_id = ?").all(id),
  audit: (store.db.prepare("SELECT COUNT(*) AS n FROM audit_events").get() as { n: number }).n,
});

/** Runs `op`; returns what it answered: a value, or the code of what it threw. */
function attempt(op: () => unknown): unknown {
  try {
    return op();
  } catch (error) {
    return error instanceof DomainError ? error.code : "threw";
  }
}

const GRANT_OPS: {
  op: string;
  legal: GrantStatus;
  run: (id: string) => unknown;
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
    refused: false,
  },
  {
    op: "end (revoke)",
    legal: "active",
    run: (id) => store.grants.end({ requestId: id, reason: "revoked", at: soon, actor: "U0ALICE", detail: "d" }),
    refused: false,
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
const GRANT_STATUSES: GrantStatus[] = ["granting", "active", "ended", "failed"];

describe("the grant rows' guarded transitions", () => {
  it.each(GRANT_OPS)("$op changes a grant that is $legal", ({ legal, run }) => {
    const id = grantIn(legal);
    const before = snapshot(id);
    attempt(() => run(id));
    expect(snapshot(id)).not.toEqual(before);
  });

  const races = GRANT_OPS.flatMap((op) =>
    GRANT_STATUSES.filter((status) => status !== op.legal).map((actual) => ({ ...op, actual })),
  );
  it.each(races)(
    "$op, meant for a grant that is $legal, changes nothing on one that is $actual",
    ({ run, refused, actual }) => {
      const id = grantIn(actual);
      const before = snapshot(id);
      expect(attempt(() => run(id))).toBe(refused);
      expect(snapshot(id)).toEqual(before);
    },
  );

  it("never extends a grant whose revoke was already asked for", () => {
    const id = grantIn("active", { endReason: "revoked" });
    const before = snapshot(id);
    expect(store.grants.extend(id, new Date("2026-03-02T12:00:00Z"), soon, "U0ALICE", "JR-X")).toBe(false);
    expect(snapshot(id)).toEqual(before);
  });

  it("never extends a grant whose end has passed, even while its revoke is still retrying", () => {
    const id = grantIn("active");
    const before = snapshot(id);
    const afterTheEnd = new Date(expiresAt.getTime() + 1);
    expect(store.grants.extend(id, new Date("2026-03-02T12:00:00Z"), afterTheEnd, "U0ALICE", "JR-X")).toBe(false);
    expect(store.grants.extend(id, new Date("2026-03-02T12:00:00Z"), expiresAt, "U0ALICE", "JR-X")).toBe(false);
    expect(snapshot(id)).toEqual(before);
  });
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
    ({ status, decision, required }) => {
      const id = request(status);
      const before = snapshot(id);
      expect(attempt(() => store.requests.decide({ id, approverId: "U0LEAD", decision, required, at: soon }))).toBe(
        "ALREADY_DECIDED",
      );
      expect(snapshot(id)).toEqual(before);
    },
  );
});
