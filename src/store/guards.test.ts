import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { insertRequestIn } from "../../test/support/store-rows.js";
import { tempDir } from "../../test/support/temp.js";
import { DomainError } from "../domain/errors.js";
import { type RequestEvent, RequestStatus, transition } from "../domain/status.js";
import { Store } from "./index.js";

/**
 * Every state change is an UPDATE guarded on the old state. The service checks the state first, but
 * a check and a write are two moments: between them a click, the time-out job or the expiry sweep
 * can move the row. The guard in the UPDATE is what makes the loser change nothing, so these tests
 * drive the store directly, with the row already moved on, as the race would leave it.
 */
const tmp = tempDir();
const store = Store.open(join(tmp.dir, "guards.db"));
afterAll(() => {
  store.close();
  tmp.cleanup();
});
const at = new Date("2026-03-02T10:00:00Z");
const later = new Date("2026-03-02T10:05:00Z");
let n = 0;

/** A request whose row is in `status`, as if earlier transitions had put it there. */
function requestIn(status: RequestStatus): string {
  return insertRequestIn(store, `JR-G${String(n++).padStart(5, "0")}`, status, at);
}

const rowOf = (id: string) => store.db.prepare("SELECT * FROM requests WHERE id = ?").get(id);
const auditRows = () => (store.db.prepare("SELECT COUNT(*) AS n FROM audit_events").get() as { n: number }).n;

const STATUSES = Object.values(RequestStatus);
const EVENTS: RequestEvent[] = ["approve", "deny", "cancel", "time_out", "activate", "fail", "expire", "revoke"];
/** Every legal move of the state machine: (from, event) → to. */
const MOVES = STATUSES.flatMap((from) =>
  EVENTS.flatMap((event) => {
    const to = transition(from, event);
    return to instanceof DomainError ? [] : [{ from, event, to }];
  }),
);

describe("the store's guarded transitions", () => {
  it("covers the whole state machine of DESIGN.md (eight legal moves, and withdrawing an approved request)", () => {
    expect(MOVES.map((m) => `${m.from} -${m.event}-> ${m.to}`)).toEqual([
      "pending -approve-> approved",
      "pending -deny-> denied",
      "pending -cancel-> cancelled",
      "pending -time_out-> timed_out",
      "approved -cancel-> cancelled",
      "approved -activate-> active",
      "approved -fail-> failed",
      "active -expire-> expired",
      "active -revoke-> revoked",
    ]);
  });

  it.each(MOVES)("$event moves a request that is still $from to $to, with one audit row", ({ from, event, to }) => {
    const id = requestIn(from);
    const audits = auditRows();
    const moved = store.requests.transition({ id, from, event, at: later, actor: "U0LEAD" });
    expect(moved.status).toBe(to);
    expect(moved.updatedAt).toEqual(later);
    expect(auditRows()).toBe(audits + 1);
  });

  // The race each case stands for: e.g. "cancel, written for a pending request, meets a request
  // that was approved meanwhile" must not turn approved (about to be granted) into cancelled.
  const races = MOVES.flatMap(({ from, event }) =>
    STATUSES.filter((actual) => actual !== from).map((actual) => ({ from, event, actual })),
  );
  it.each(races)(
    "$event, written for a $from request, changes nothing on one that is already $actual and reports a conflict",
    ({ from, event, actual }) => {
      const id = requestIn(actual);
      const before = rowOf(id);
      const audits = auditRows();
      let refusal: unknown;
      try {
        store.requests.transition({ id, from, event, at: later, actor: "jitbot", note: "too late" });
      } catch (error) {
        refusal = error;
      }
      expect(refusal).toBeInstanceOf(DomainError);
      expect(["ALREADY_DECIDED", "INVALID_TRANSITION"]).toContain((refusal as DomainError).code);
      expect(rowOf(id)).toEqual(before);
      expect(auditRows()).toBe(audits);
    },
  );

  it("never overwrites an approved or active request through the time-out or cancel paths", () => {
    for (const actual of ["approved", "active"] as const) {
      for (const event of ["time_out", "cancel"] as const) {
        const id = requestIn(actual);
        expect(() => store.requests.transition({ id, from: "pending", event, at: later, actor: "jitbot" })).toThrow(
          DomainError,
        );
        expect(store.requests.mustGet(id).status).toBe(actual);
      }
    }
  });
});
