import type { Kysely } from "kysely";
import { DomainError } from "../domain/errors.js";
import type { AccessRequest, Approval } from "../domain/request.js";
import { type RequestEvent, type RequestStatus, transition } from "../domain/status.js";
import type { Tx } from "./engine.js";
import { toRequest } from "./rows.js";
import type { Database } from "./schema.js";

/** The request rows' reads and guarded move, shared by the repositories' transactions. */

export async function getRequest(db: Kysely<Database>, id: string): Promise<AccessRequest | undefined> {
  const row = await db.selectFrom("requests").selectAll().where("id", "=", id).executeTakeFirst();
  return row ? toRequest(row) : undefined;
}

export async function mustGetRequest(db: Kysely<Database>, id: string): Promise<AccessRequest> {
  const request = await getRequest(db, id);
  if (!request) throw new DomainError("REQUEST_NOT_FOUND", { id });
  return request;
}

export interface Move {
  id: string;
  from: RequestStatus;
  event: RequestEvent;
  at: Date;
  actor: string;
  note?: string;
  detail?: Record<string, unknown>;
}

/** The guarded UPDATE, inside the caller's transaction: moves the request or throws why not. */
export async function moveRequest(tx: Tx, move: Move): Promise<AccessRequest> {
  const { id, from, event, at, actor, note, detail = {} } = move;
  const next = transition(from, event);
  if (next instanceof DomainError) throw next;
  const moved = await tx.db
    .updateTable("requests")
    .set({
      status: next,
      updated_at: at.getTime(),
      ...(from === "pending" ? { decided_at: at.getTime() } : {}),
      ...(note === undefined ? {} : { decision_note: note }),
    })
    .where("id", "=", id)
    .where("status", "=", from)
    .returningAll()
    .executeTakeFirst();
  if (!moved) {
    const current = await mustGetRequest(tx.db, id);
    const refusal = transition(current.status, event);
    throw refusal instanceof DomainError ? refusal : new DomainError("INVALID_TRANSITION", { from, event });
  }
  tx.audit({ at, actor, action: `request.${next}`, requestId: id, detail: note ? { ...detail, note } : detail });
  if (from === "pending") tx.changed(id, "request.decided");
  return toRequest(moved);
}

export async function approvalsOf(db: Kysely<Database>, requestId: string): Promise<Approval[]> {
  const rows = await db.selectFrom("approvals").selectAll().where("request_id", "=", requestId).orderBy("at").execute();
  return rows.map((r) => ({
    requestId: r.request_id,
    approverId: r.approver_id,
    decision: r.decision,
    at: new Date(r.at),
  }));
}
