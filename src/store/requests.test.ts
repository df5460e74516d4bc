import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { engines } from "../../test/support/postgres.js";
import { countRows, insertRequest, insertRequestIn } from "../../test/support/store-rows.js";
import type { Store } from "./index.js";
import type { NewRequest } from "./requests.js";

/**
 * The request repository's own writes and reads (store/requests.ts): what a filed request keeps,
 * the modal's replay guard, extension roots, the lists the bot reads, and what a decision records.
 * The guarded moves themselves are in guards.test.ts and grant-guards.test.ts.
 */
const at = new Date("2026-03-02T10:00:00Z");
const later = new Date("2026-03-02T10:05:00Z");
const DAY_MS = 86_400_000;
let n = 0;

describe.each(engines())("the request repository ($name)", (engine) => {
  let store: Store;
  beforeAll(async () => {
    store = await engine.open();
  });
  afterAll(() => store.close());

  const nextId = () => `JR-R${String(n++).padStart(5, "0")}`;
  const pending = () => insertRequest(store, nextId(), at);
  const requestIn = (status: Parameters<typeof insertRequestIn>[2]) => insertRequestIn(store, nextId(), status, at);
  const trail = async (id: string) =>
    (await store.auditTrail(id)).map((row) => ({
      action: row.action,
      actor: row.actor,
      detail: JSON.parse(row.detail),
    }));
  const ordinary = (id: string, createdAt = at): NewRequest => ({
    id,
    profileId: "aks-prod-sre",
    requesterId: "U0ALICE",
    requesterName: "Alice",
    requesterEmail: undefined,
    durationSeconds: 1800,
    justification: "rotating the ingress certificate",
    ticket: undefined,
    createdAt,
    extendsRequestId: undefined,
  });
  /** The kinds of change this replica's listeners heard about `id` while `work` ran (SQLite: on commit). */
  async function noticesOf(id: string, work: () => Promise<unknown>): Promise<string[]> {
    const kinds: string[] = [];
    const stop = store.onChange((change) => {
      if (change.requestId === id) kinds.push(change.kind);
    });
    await work();
    stop();
    return kinds;
  }

  describe("filing", () => {
    it("keeps every field the request was filed with, and audits its submission", async () => {
      const id = nextId();
      const filed = await insertRequest(store, id, at, "JR-ROOT99");
      const expected = {
        id,
        profileId: "aks-prod-sre",
        requesterId: "U0ALICE",
        requesterName: "Alice",
        requesterEmail: "alice@example.com",
        durationSeconds: 3600,
        justification: "debugging the ingress",
        ticket: "OPS-1",
        status: "pending",
        createdAt: at,
        updatedAt: at,
        decidedAt: undefined,
        extendsRequestId: "JR-ROOT99",
      };
      expect(filed).toMatchObject(expected);
      expect(filed.breakGlass).toBeUndefined();
      expect(await store.requests.mustGet(id)).toMatchObject(expected);
      expect(await trail(id)).toEqual([
        {
          action: "request.submitted",
          actor: "U0ALICE",
          detail: { profile: "aks-prod-sre", durationSeconds: 3600, ticket: "OPS-1" },
        },
      ]);
    });

    it("files a request without an email, a ticket or a root, and audits its missing ticket as null", async () => {
      const id = nextId();
      const filed = await store.requests.insert(ordinary(id));
      expect(filed).toMatchObject({ requesterEmail: undefined, ticket: undefined, extendsRequestId: undefined });
      expect(await trail(id)).toEqual([
        {
          action: "request.submitted",
          actor: "U0ALICE",
          detail: { profile: "aks-prod-sre", durationSeconds: 1800, ticket: null },
        },
      ]);
    });

    it("tells this replica's listeners that a request was created", async () => {
      const id = nextId();
      const kinds = await noticesOf(id, () => store.requests.insert(ordinary(id)));
      // SQLite tells this replica's listeners on commit; PostgreSQL's notice arrives later, over LISTEN.
      if (engine.name === "sqlite") expect(kinds).toEqual(["request.created"]);
    });

    it("files a break glass approved by its requester's own hand, with its deadline, in the same write", async () => {
      const id = nextId();
      const confirmBy = new Date(at.getTime() + 15 * 60_000);
      const request = { ...ordinary(id), breakGlass: { confirmBy, confirmedBy: undefined, confirmedAt: undefined } };
      const kinds = await noticesOf(id, () => store.requests.insert(request));
      const expected = {
        status: "approved",
        decidedAt: at,
        decisionNote: "break glass",
        breakGlass: { confirmBy, confirmedBy: undefined, confirmedAt: undefined },
      };
      expect(await store.requests.mustGet(id)).toMatchObject(expected);
      const glass = { breakGlass: true, confirmBy: confirmBy.toISOString() };
      expect(await trail(id)).toEqual([
        {
          action: "request.submitted",
          actor: "U0ALICE",
          detail: { profile: "aks-prod-sre", durationSeconds: 1800, ticket: null, ...glass },
        },
        { action: "request.approved", actor: "U0ALICE", detail: { ...glass, note: "break glass" } },
      ]);
      if (engine.name === "sqlite") expect(kinds).toEqual(["request.created", "request.decided"]);
    });

    it("returns the request it filed, approved, for a break glass", async () => {
      const id = nextId();
      const confirmBy = new Date(at.getTime() + 15 * 60_000);
      const filed = await store.requests.insert({
        ...ordinary(id),
        breakGlass: { confirmBy, confirmedBy: undefined, confirmedAt: undefined },
      });
      expect(filed).toEqual(await store.requests.mustGet(id));
    });
  });

  describe("the modal's replay guard", () => {
    const view = (id: string, hash = "h1") => ({ id, hash, userId: "U0ALICE" });

    it("files a submission once: its replay, even under another request id, files nothing", async () => {
      const first = nextId();
      const replay = nextId();
      const requests = await countRows(store, "requests");
      expect(await store.requests.insertOnce(ordinary(first), view("V-ONCE"))).toMatchObject({ id: first });
      expect(await store.requests.insertOnce(ordinary(replay), view("V-ONCE"))).toBeUndefined();
      expect(await store.requests.get(replay)).toBeUndefined();
      expect(await countRows(store, "requests")).toBe(requests + 1);
      expect(await store.requests.viewSubmitted("V-ONCE", "h1")).toBe(true);
    });

    it("knows a submission by its view id and hash together", async () => {
      expect(await store.requests.claimViewSubmission("V-PAIR", "h1", "U0ALICE", at)).toBe(true);
      expect(await store.requests.viewSubmitted("V-PAIR", "h1")).toBe(true);
      expect(await store.requests.viewSubmitted("V-PAIR", "h2")).toBe(false);
      expect(await store.requests.viewSubmitted("V-OTHER", "h1")).toBe(false);
      // The same view submitted again after an edit (a new hash) is a new submission.
      expect(await store.requests.claimViewSubmission("V-PAIR", "h2", "U0ALICE", at)).toBe(true);
      expect(await store.requests.claimViewSubmission("V-PAIR", "h2", "U0ALICE", at)).toBe(false);
    });

    it("holds a claim for a day, then forgets it when the next claim is made", async () => {
      const claim = (viewId: string, when: number) =>
        store.requests.claimViewSubmission(viewId, "h1", "U0ALICE", new Date(at.getTime() + when));
      expect(await claim("V-DAY", 0)).toBe(true);
      expect(await claim("V-DAY", 1)).toBe(false);
      expect(await claim("V-DAY", DAY_MS)).toBe(false);
      expect(await store.requests.viewSubmitted("V-DAY", "h1")).toBe(true);
      // Another view's claim, just over a day later, clears the old one away.
      expect(await claim("V-NEXT", DAY_MS + 1)).toBe(true);
      expect(await store.requests.viewSubmitted("V-DAY", "h1")).toBe(false);
      expect(await claim("V-DAY", DAY_MS + 1)).toBe(true);
    });
  });

  describe("extension roots", () => {
    it("a request that extends nothing is its own root", async () => {
      const root = await pending();
      expect((await store.requests.rootOf(root.id)).id).toBe(root.id);
    });

    it("follows a chain deeper than one link to its top", async () => {
      const root = await pending();
      const middle = await insertRequest(store, nextId(), at, root.id);
      const leaf = await insertRequest(store, nextId(), at, middle.id);
      expect((await store.requests.rootOf(leaf.id)).id).toBe(root.id);
    });

    it("stops after a thousand links on a damaged file whose chain loops", async () => {
      const a = await pending();
      const b = await insertRequest(store, nextId(), at, a.id);
      await store.kysely.updateTable("requests").set({ extends_request_id: b.id }).where("id", "=", a.id).execute();
      // A thousand hops from `a` on a two-link loop come back to `a`.
      expect((await store.requests.rootOf(a.id)).id).toBe(a.id);
      expect((await store.requests.rootOf(b.id)).id).toBe(b.id);
    });

    it("says which request it could not find", async () => {
      const orphan = await insertRequest(store, nextId(), at, "JR-GONE01");
      await expect(store.requests.rootOf(orphan.id)).rejects.toMatchObject({
        code: "REQUEST_NOT_FOUND",
        detail: { id: "JR-GONE01" },
      });
    });
  });

  describe("lists", () => {
    it("lists one requester's requests in the statuses asked for, oldest first", async () => {
      const file = (id: string, requesterId: string, minutes: number) =>
        store.requests.insert({
          ...ordinary(id, new Date(at.getTime() + minutes * 60_000)),
          requesterId,
        });
      await file("JR-LIST03", "U0LISTER", 3);
      await file("JR-LIST01", "U0LISTER", 1);
      await file("JR-LIST02", "U0LISTER", 2);
      await file("JR-LISTX", "U0OTHER", 0);
      await store.kysely.updateTable("requests").set({ status: "denied" }).where("id", "=", "JR-LIST02").execute();
      const ids = async (statuses: Parameters<Store["requests"]["listByRequester"]>[1]) =>
        (await store.requests.listByRequester("U0LISTER", statuses)).map((r) => r.id);
      expect(await ids(["pending"])).toEqual(["JR-LIST01", "JR-LIST03"]);
      expect(await ids(["pending", "denied"])).toEqual(["JR-LIST01", "JR-LIST02", "JR-LIST03"]);
      expect(await ids(["denied"])).toEqual(["JR-LIST02"]);
      expect(await ids([])).toEqual([]);
    });

    it("lists the requests in one status, oldest first, no more than asked", async () => {
      const file = (id: string, minutes: number) =>
        store.requests.insert(ordinary(id, new Date(at.getTime() - (60 - minutes) * 60_000)));
      for (const [id, minutes] of [
        ["JR-TIMED2", 2],
        ["JR-TIMED1", 1],
        ["JR-TIMED3", 3],
      ] as const) {
        await file(id, minutes);
        await store.kysely.updateTable("requests").set({ status: "timed_out" }).where("id", "=", id).execute();
      }
      const ids = async (limit?: number) => (await store.requests.listByStatus("timed_out", limit)).map((r) => r.id);
      expect(await ids()).toEqual(["JR-TIMED1", "JR-TIMED2", "JR-TIMED3"]);
      expect(await ids(2)).toEqual(["JR-TIMED1", "JR-TIMED2"]);
    });
  });

  describe("the messages about a request", () => {
    it("remembers where the receipt and the approval message were posted, on that request only", async () => {
      const request = await pending();
      const other = await pending();
      await store.requests.setReceipt(request.id, "D0ALICE", "111.1");
      await store.requests.setApprovalMessage(request.id, "C0APPROVERS", "222.2");
      expect(await store.requests.mustGet(request.id)).toMatchObject({
        receiptChannel: "D0ALICE",
        receiptTs: "111.1",
        approvalChannel: "C0APPROVERS",
        approvalTs: "222.2",
      });
      expect(await store.requests.mustGet(other.id)).toMatchObject({
        receiptChannel: undefined,
        receiptTs: undefined,
        approvalChannel: undefined,
        approvalTs: undefined,
      });
    });

    it("reminds the approvers of a request once", async () => {
      const request = await pending();
      const other = await pending();
      expect(await store.requests.markApprovalReminded(request.id, at)).toBe(true);
      expect(await store.requests.markApprovalReminded(request.id, later)).toBe(false);
      expect(await store.requests.markApprovalReminded(other.id, later)).toBe(true);
      const row = await store.kysely
        .selectFrom("requests")
        .select("approval_reminded_at")
        .where("id", "=", request.id)
        .executeTakeFirstOrThrow();
      expect(Number(row.approval_reminded_at)).toBe(at.getTime());
    });
  });

  describe("decisions", () => {
    const decide = (
      id: string,
      approverId: string,
      decision: "approve" | "deny",
      more: { required?: number; satisfied?: (ids: readonly string[]) => boolean; note?: string } = {},
    ) =>
      store.requests.decide({
        id,
        approverId,
        decision,
        required: more.required ?? 2,
        satisfied: more.satisfied,
        note: more.note,
        at: later,
        detail: { via: "button" },
      });

    it("records an approval short of the count, with its count, and leaves the request pending", async () => {
      const request = await pending();
      const outcome = await decide(request.id, "U0BOB", "approve");
      expect(outcome).toEqual({ kind: "recorded", request, approvals: 1 });
      expect((await trail(request.id)).at(-1)).toEqual({
        action: "request.approval_recorded",
        actor: "U0BOB",
        detail: { approvals: 1, required: 2 },
      });
      expect(await store.requests.approvals(request.id)).toEqual([
        { requestId: request.id, approverId: "U0BOB", decision: "approve", at: later },
      ]);
    });

    it("approves on the approval that reaches the count, auditing the caller's detail with the count", async () => {
      const request = await pending();
      await decide(request.id, "U0BOB", "approve");
      const outcome = await decide(request.id, "U0CAROL", "approve", { note: "ok for the freeze" });
      expect(outcome).toEqual({ kind: "approved", request: await store.requests.mustGet(request.id) });
      expect(outcome.request).toMatchObject({
        status: "approved",
        decidedAt: later,
        decisionNote: "ok for the freeze",
      });
      expect((await trail(request.id)).at(-1)).toEqual({
        action: "request.approved",
        actor: "U0CAROL",
        detail: { via: "button", approvals: 2, required: 2, note: "ok for the freeze" },
      });
    });

    it("denies at the first denial, counting only the approvals before it", async () => {
      const request = await pending();
      await decide(request.id, "U0BOB", "approve");
      const outcome = await decide(request.id, "U0CAROL", "deny", { note: "not now" });
      expect(outcome).toEqual({ kind: "denied", request: await store.requests.mustGet(request.id) });
      expect(outcome.request).toMatchObject({ status: "denied", decisionNote: "not now" });
      expect((await trail(request.id)).at(-1)).toEqual({
        action: "request.denied",
        actor: "U0CAROL",
        detail: { via: "button", approvals: 1, required: 2, note: "not now" },
      });
    });

    it("asks `satisfied`, given the approvers so far, instead of counting, when a bundle gives it", async () => {
      const request = await pending();
      const asked: string[][] = [];
      const satisfied = (ids: readonly string[]) => {
        asked.push([...ids]);
        return ids.includes("U0SECURITY");
      };
      // Two approvals would meet `required: 1`, but not the bundle's sets.
      expect((await decide(request.id, "U0BOB", "approve", { required: 1, satisfied })).kind).toBe("recorded");
      expect((await decide(request.id, "U0CAROL", "approve", { required: 1, satisfied })).kind).toBe("recorded");
      // And one approval in the right set approves, whatever the count.
      expect((await decide(request.id, "U0SECURITY", "approve", { required: 9, satisfied })).kind).toBe("approved");
      expect(asked).toEqual([["U0BOB"], ["U0BOB", "U0CAROL"], ["U0BOB", "U0CAROL", "U0SECURITY"]]);
    });

    it("says which request it could not find, and what a decided one became", async () => {
      await expect(decide("JR-NOSUCH", "U0BOB", "approve")).rejects.toMatchObject({
        code: "REQUEST_NOT_FOUND",
        detail: { id: "JR-NOSUCH" },
      });
      const denied = await requestIn("denied");
      await expect(decide(denied, "U0BOB", "approve")).rejects.toMatchObject({
        code: "ALREADY_DECIDED",
        detail: { status: "denied" },
      });
    });
  });

  describe("moves by position", () => {
    it("`move` passes its note and detail on, as `transition` takes them", async () => {
      const request = await pending();
      const moved = await store.requests.move(request.id, "pending", "cancel", later, "U0ALICE", "changed my mind", {
        from: "home tab",
      });
      expect(moved).toMatchObject({ status: "cancelled", decisionNote: "changed my mind", updatedAt: later });
      expect((await trail(request.id)).at(-1)).toEqual({
        action: "request.cancelled",
        actor: "U0ALICE",
        detail: { from: "home tab", note: "changed my mind" },
      });
    });

    it("`move` audits an empty detail when given none", async () => {
      const request = await pending();
      await store.requests.move(request.id, "pending", "time_out", later, "jitbot");
      expect((await trail(request.id)).at(-1)).toEqual({ action: "request.timed_out", actor: "jitbot", detail: {} });
    });
  });
});
