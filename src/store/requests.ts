import { DomainError } from "../domain/errors.js";
import type { AccessRequest, Approval } from "../domain/request.js";
import { type RequestEvent, type RequestStatus, transition } from "../domain/status.js";
import { appendAudit } from "./audit.js";
import type { Db } from "./db.js";
import { type RequestRow, toRequest } from "./rows.js";

export type NewRequest = Omit<
  AccessRequest,
  | "status"
  | "updatedAt"
  | "decidedAt"
  | "decisionNote"
  | "approvalChannel"
  | "approvalTs"
  | "receiptChannel"
  | "receiptTs"
>;

export type DecisionOutcome =
  | { kind: "recorded"; request: AccessRequest; approvals: number }
  | { kind: "approved"; request: AccessRequest }
  | { kind: "denied"; request: AccessRequest };

/** Far beyond any real chain (each link is an approved request); stops a loop in a damaged file. */
const MAX_CHAIN = 1_000;

export class RequestRepo {
  constructor(private readonly db: Db) {}

  insert(request: NewRequest): AccessRequest {
    const at = request.createdAt.getTime();
    this.db.transaction(() => {
      this.db
        .prepare(
          `INSERT INTO requests (id, profile_id, requester_id, requester_name, requester_email, duration_seconds,
             justification, ticket, status, created_at, updated_at, extends_request_id)
           VALUES (?, ?, ?, ?, ?, ?, ?, ?, 'pending', ?, ?, ?)`,
        )
        .run(
          request.id,
          request.profileId,
          request.requesterId,
          request.requesterName,
          request.requesterEmail ?? null,
          request.durationSeconds,
          request.justification,
          request.ticket ?? null,
          at,
          at,
          request.extendsRequestId ?? null,
        );
      appendAudit(this.db, {
        at: request.createdAt,
        actor: request.requesterId,
        action: "request.submitted",
        requestId: request.id,
        detail: {
          profile: request.profileId,
          durationSeconds: request.durationSeconds,
          ticket: request.ticket ?? null,
        },
      });
    })();
    return this.mustGet(request.id);
  }

  /**
   * Claims a modal's submission: true the first time this view id and hash are seen. Slack refuses
   * a signature older than five minutes, so a day of claims is far more than a replay can reach.
   */
  claimViewSubmission(viewId: string, viewHash: string, userId: string, at: Date): boolean {
    return this.db.transaction(() => {
      this.db.prepare("DELETE FROM view_submissions WHERE at < ?").run(at.getTime() - 86_400_000);
      const claimed = this.db
        .prepare("INSERT OR IGNORE INTO view_submissions (view_id, view_hash, user_id, at) VALUES (?, ?, ?, ?)")
        .run(viewId, viewHash, userId, at.getTime());
      return claimed.changes === 1;
    })();
  }

  get(id: string): AccessRequest | undefined {
    const row = this.db.prepare("SELECT * FROM requests WHERE id = ?").get(id) as RequestRow | undefined;
    return row ? toRequest(row) : undefined;
  }

  mustGet(id: string): AccessRequest {
    const request = this.get(id);
    if (!request) throw new DomainError("REQUEST_NOT_FOUND", { id });
    return request;
  }

  /**
   * The request at the top of an extension chain: the one whose grant every extension moves. An
   * extension always names its root, but a stored chain (or a forged `extends`) may be deeper.
   */
  rootOf(id: string): AccessRequest {
    let request = this.mustGet(id);
    for (let hops = 0; request.extendsRequestId && hops < MAX_CHAIN; hops++) {
      request = this.mustGet(request.extendsRequestId);
    }
    return request;
  }

  listByRequester(requesterId: string, statuses: RequestStatus[]): AccessRequest[] {
    const marks = statuses.map(() => "?").join(",");
    const rows = this.db
      .prepare(`SELECT * FROM requests WHERE requester_id = ? AND status IN (${marks}) ORDER BY created_at`)
      .all(requesterId, ...statuses) as RequestRow[];
    return rows.map(toRequest);
  }

  listByStatus(status: RequestStatus, limit = 1000): AccessRequest[] {
    const rows = this.db
      .prepare("SELECT * FROM requests WHERE status = ? ORDER BY created_at LIMIT ?")
      .all(status, limit) as RequestRow[];
    return rows.map(toRequest);
  }

  approvals(requestId: string): Approval[] {
    const rows = this.db.prepare("SELECT * FROM approvals WHERE request_id = ? ORDER BY at").all(requestId) as {
      request_id: string;
      approver_id: string;
      decision: "approve" | "deny";
      at: number;
    }[];
    return rows.map((r) => ({
      requestId: r.request_id,
      approverId: r.approver_id,
      decision: r.decision,
      at: new Date(r.at),
    }));
  }

  setReceipt(id: string, channel: string, ts: string): void {
    this.db.prepare("UPDATE requests SET receipt_channel = ?, receipt_ts = ? WHERE id = ?").run(channel, ts, id);
  }

  setApprovalMessage(id: string, channel: string, ts: string): void {
    this.db.prepare("UPDATE requests SET approval_channel = ?, approval_ts = ? WHERE id = ?").run(channel, ts, id);
  }

  markApprovalReminded(id: string, at: Date): boolean {
    const result = this.db
      .prepare("UPDATE requests SET approval_reminded_at = ? WHERE id = ? AND approval_reminded_at IS NULL")
      .run(at.getTime(), id);
    return result.changes === 1;
  }

  /**
   * One approver's decision, in one transaction guarded on `pending`: of twenty simultaneous
   * clicks exactly one moves the request; the others see ALREADY_DECIDED or ALREADY_DECIDED_BY_YOU.
   */
  decide(input: {
    id: string;
    approverId: string;
    decision: "approve" | "deny";
    required: number;
    note?: string;
    at: Date;
  }): DecisionOutcome {
    return this.db.transaction((): DecisionOutcome => {
      const current = this.mustGet(input.id);
      if (current.status !== "pending") throw new DomainError("ALREADY_DECIDED", { status: current.status });
      const inserted = this.db
        .prepare("INSERT OR IGNORE INTO approvals (request_id, approver_id, decision, at) VALUES (?, ?, ?, ?)")
        .run(input.id, input.approverId, input.decision, input.at.getTime());
      if (inserted.changes === 0) throw new DomainError("ALREADY_DECIDED_BY_YOU");
      const approvals = this.approvals(input.id).filter((a) => a.decision === "approve").length;
      if (input.decision === "approve" && approvals < input.required) {
        appendAudit(this.db, {
          at: input.at,
          actor: input.approverId,
          action: "request.approval_recorded",
          requestId: input.id,
          detail: { approvals, required: input.required },
        });
        return { kind: "recorded", request: current, approvals };
      }
      const event = input.decision === "approve" ? "approve" : "deny";
      const request = this.move(input.id, "pending", event, input.at, input.approverId, input.note, {
        approvals,
        required: input.required,
      });
      return input.decision === "approve" ? { kind: "approved", request } : { kind: "denied", request };
    })();
  }

  /** Moves a request from `from` by `event`, or throws the DomainError that explains why not. */
  transition(input: {
    id: string;
    from: RequestStatus;
    event: RequestEvent;
    at: Date;
    actor: string;
    note?: string;
    detail?: Record<string, unknown>;
  }): AccessRequest {
    return this.db.transaction(() =>
      this.move(input.id, input.from, input.event, input.at, input.actor, input.note, input.detail),
    )();
  }

  /** The guarded UPDATE; must run inside a transaction. */
  move(
    id: string,
    from: RequestStatus,
    event: RequestEvent,
    at: Date,
    actor: string,
    note?: string,
    detail: Record<string, unknown> = {},
  ): AccessRequest {
    const next = transition(from, event);
    if (next instanceof DomainError) throw next;
    const decides = from === "pending";
    const result = this.db
      .prepare(
        `UPDATE requests SET status = ?, updated_at = ?,
           decided_at = CASE WHEN ? THEN ? ELSE decided_at END,
           decision_note = COALESCE(?, decision_note)
         WHERE id = ? AND status = ?`,
      )
      .run(next, at.getTime(), decides ? 1 : 0, at.getTime(), note ?? null, id, from);
    if (result.changes !== 1) {
      const current = this.mustGet(id);
      const refusal = transition(current.status, event);
      throw refusal instanceof DomainError ? refusal : new DomainError("INVALID_TRANSITION", { from, event });
    }
    appendAudit(this.db, {
      at,
      actor,
      action: `request.${next}`,
      requestId: id,
      detail: note ? { ...detail, note } : detail,
    });
    return this.mustGet(id);
  }
}
