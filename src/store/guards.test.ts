import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { engines } from "../../test/support/postgres.js";
import { countRows, insertRequestIn } from "../../test/support/store-rows.js";
import { DomainError } from "../domain/errors.js";
import { type RequestEvent, RequestStatus, transition } from "../domain/status.js";
import type { Store } from "./index.js";

/**
 * Every state change is an UPDATE guarded on the old state. The service checks the state first, but
 * a check and a write are two moments: between them a click, the time-out job or the expiry sweep
 * can move the row. The guard in the UPDATE is what makes the loser change nothing, so these tests
 * drive the store directly, with the row already moved on, as the race would leave it.
 */
const at = new Date("2026-03-02T10:00:00Z");
const later = new Date("2026-03-02T10:05:00Z");
let n = 0;

const STATUSES = Object.values(RequestStatus);
const EVENTS: RequestEvent[] = ["approve", "deny", "cancel", "time_out", "activate", "fail", "expire", "revoke"];
/** Every legal move of the state machine: (from, event) → to. */
const MOVES = STATUSES.flatMap((from) =>
  EVENTS.flatMap((event) => {
    const to = transition(from, event);
    return to instanceof DomainError ? [] : [{ from, event, to }];
  }),
);

describe.each(engines())("the store's guarded transitions ($name)", (engine) => {
  let store: Store;
  beforeAll(async () => {
    store = await engine.open();
  });
  afterAll(() => store.close());

  /** A request whose row is in `status`, as if earlier transitions had put it there. */
  const requestIn = (status: RequestStatus) =>
    insertRequestIn(store, `JR-G${String(n++).padStart(5, "0")}`, status, at);
  const rowOf = (id: string) => store.kysely.selectFrom("requests").selectAll().where("id", "=", id).executeTakeFirst();
  const auditRows = () => countRows(store, "audit_events");

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

  it.each(MOVES)(
    "$event moves a request that is still $from to $to, with one audit row",
    async ({ from, event, to }) => {
      const id = await requestIn(from);
      const audits = await auditRows();
      const moved = await store.requests.transition({ id, from, event, at: later, actor: "U0LEAD" });
      expect(moved.status).toBe(to);
      expect(moved.updatedAt).toEqual(later);
      expect(await auditRows()).toBe(audits + 1);
    },
  );

  // The race each case stands for: e.g. "cancel, written for a pending request, meets a request
  // that was approved meanwhile" must not turn approved (about to be granted) into cancelled.
  const races = MOVES.flatMap(({ from, event }) =>
    STATUSES.filter((actual) => actual !== from).map((actual) => ({ from, event, actual })),
  );
  it.each(races)(
    "$event, written for a $from request, changes nothing on one that is already $actual and reports a conflict",
    async ({ from, event, actual }) => {
      const id = await requestIn(actual);
      const before = await rowOf(id);
      const audits = await auditRows();
      let refusal: unknown;
      try {
        await store.requests.transition({ id, from, event, at: later, actor: "jitbot", note: "too late" });
      } catch (error) {
        refusal = error;
      }
      expect(refusal).toBeInstanceOf(DomainError);
      expect(["ALREADY_DECIDED", "INVALID_TRANSITION"]).toContain((refusal as DomainError).code);
      expect(await rowOf(id)).toEqual(before);
      expect(await auditRows()).toBe(audits);
    },
  );

  it("records a decision's moment, note and audit detail, and tells every replica it was decided", async () => {
    const id = await requestIn("pending");
    const notices: string[] = [];
    const stop = store.onChange((change) => {
      if (change.requestId === id) notices.push(change.kind);
    });
    const moved = await store.requests.transition({
      id,
      from: "pending",
      event: "deny",
      at: later,
      actor: "U0LEAD",
      note: "not during the freeze",
      detail: { approvals: 0, required: 2 },
    });
    stop();
    expect(moved).toMatchObject({ status: "denied", decidedAt: later, decisionNote: "not during the freeze" });
    expect(await store.requests.mustGet(id)).toMatchObject({ decidedAt: later, decisionNote: "not during the freeze" });
    // SQLite tells this replica's listeners on commit; PostgreSQL's notice arrives later, over LISTEN.
    if (engine.name === "sqlite") expect(notices).toEqual(["request.decided"]);
    const row = (await store.auditTrail(id)).at(-1);
    expect(row).toMatchObject({ action: "request.denied", actor: "U0LEAD", at: later.getTime() });
    expect(JSON.parse(row?.detail ?? "")).toEqual({ approvals: 0, required: 2, note: "not during the freeze" });
  });

  it("leaves the decision alone when a decided request moves on, and audits exactly the detail given", async () => {
    const id = await requestIn("pending");
    await store.requests.transition({ id, from: "pending", event: "approve", at, actor: "U0LEAD", note: "ok" });
    await store.requests.transition({ id, from: "approved", event: "activate", at: later, actor: "jitbot" });
    const notices: string[] = [];
    const stop = store.onChange((change) => {
      if (change.requestId === id) notices.push(change.kind);
    });
    const moved = await store.requests.transition({
      id,
      from: "active",
      event: "expire",
      at: later,
      actor: "jitbot",
      detail: { verified: true },
    });
    stop();
    expect(moved).toMatchObject({ status: "expired", decidedAt: at, decisionNote: "ok", updatedAt: later });
    expect(notices).toEqual([]);
    const row = (await store.auditTrail(id)).at(-1);
    expect(row).toMatchObject({ action: "request.expired", actor: "jitbot" });
    expect(JSON.parse(row?.detail ?? "")).toEqual({ verified: true });
  });

  it("names the move it refused when the row went on to a state the event could still leave", async () => {
    // Withdrawn while pending, but approved meanwhile: cancelling an approved request is a legal
    // move, so the refusal cannot come from the state machine and must name the stale move itself.
    const id = await requestIn("approved");
    const refused = await store.requests
      .transition({ id, from: "pending", event: "cancel", at: later, actor: "U0ALICE" })
      .catch((error: unknown) => error);
    expect(refused).toBeInstanceOf(DomainError);
    expect(refused).toMatchObject({ code: "INVALID_TRANSITION", detail: { from: "pending", event: "cancel" } });
  });

  it("says which request it could not find, for a read and for a move", async () => {
    const missing = { code: "REQUEST_NOT_FOUND", detail: { id: "JR-NOSUCH" } };
    await expect(store.requests.mustGet("JR-NOSUCH")).rejects.toMatchObject(missing);
    await expect(
      store.requests.transition({ id: "JR-NOSUCH", from: "pending", event: "cancel", at: later, actor: "U0ALICE" }),
    ).rejects.toMatchObject(missing);
  });

  it("never overwrites an approved or active request through the time-out or cancel paths", async () => {
    for (const actual of ["approved", "active"] as const) {
      for (const event of ["time_out", "cancel"] as const) {
        const id = await requestIn(actual);
        await expect(
          store.requests.transition({ id, from: "pending", event, at: later, actor: "jitbot" }),
        ).rejects.toThrow(DomainError);
        expect((await store.requests.mustGet(id)).status).toBe(actual);
      }
    }
  });
});
