import type { RequestStatus } from "../../src/domain/status.js";
import type { Store } from "../../src/store/index.js";

/** Alice's ordinary request row, filed at `at`; store tests move it where each case needs it. */
export function insertRequest(store: Store, id: string, at: Date, extendsRequestId?: string) {
  return store.requests.insert({
    id,
    profileId: "aks-prod-sre",
    requesterId: "U0ALICE",
    requesterName: "Alice",
    requesterEmail: "alice@example.com",
    durationSeconds: 3600,
    justification: "debugging the ingress",
    ticket: "OPS-1",
    createdAt: at,
    extendsRequestId,
  });
}

/** A request whose row is in `status`, as if earlier transitions had put it there. */
export async function insertRequestIn(store: Store, id: string, status: RequestStatus, at: Date): Promise<string> {
  await insertRequest(store, id, at);
  store.db.prepare("UPDATE requests SET status = ? WHERE id = ?").run(status, id);
  return id;
}
