import type { Kysely } from "kysely";
import { DomainError } from "../domain/errors.js";
import type { AccessRequest, Approval } from "../domain/request.js";
import type { RequestEvent, RequestStatus } from "../domain/status.js";
import type { Engine, Tx } from "./engine.js";
import { approvalsOf, getRequest, type Move, moveRequest, mustGetRequest } from "./request-rows.js";
import { toRequest } from "./rows.js";
import type { Database } from "./schema.js";

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
const DAY_MS = 86_400_000;

export class RequestRepo {
  constructor(private readonly engine: Engine) {}

  private get db(): Kysely<Database> {
    return this.engine.reads;
  }

  async insert(request: NewRequest): Promise<AccessRequest> {
    const filed = await this.insertOnce(request);
    if (!filed) throw new Error(`request ${request.id} was not filed`);
    return filed;
  }

  /**
   * Files a request from a modal together with the modal's claim, in one transaction: undefined
   * when that submission was filed already (a replay, or a retry racing it). A replica that stops
   * between its ack and this write leaves no claim behind, so the person's resend files it.
   */
  async insertOnce(
    request: NewRequest,
    view?: { id: string; hash: string; userId: string },
  ): Promise<AccessRequest | undefined> {
    const at = request.createdAt.getTime();
    return this.engine.write(async (tx) => {
      if (view && !(await claimView(tx, view, request.createdAt))) return undefined;
      const row = await tx.db
        .insertInto("requests")
        .values({
          id: request.id,
          profile_id: request.profileId,
          requester_id: request.requesterId,
          requester_name: request.requesterName,
          requester_email: request.requesterEmail ?? null,
          duration_seconds: request.durationSeconds,
          justification: request.justification,
          ticket: request.ticket ?? null,
          status: "pending",
          created_at: at,
          updated_at: at,
          extends_request_id: request.extendsRequestId ?? null,
          ...(request.breakGlass ? { break_glass_confirm_by: request.breakGlass.confirmBy.getTime() } : {}),
        })
        .returningAll()
        .executeTakeFirstOrThrow();
      tx.audit({
        at: request.createdAt,
        actor: request.requesterId,
        action: "request.submitted",
        requestId: request.id,
        detail: {
          profile: request.profileId,
          durationSeconds: request.durationSeconds,
          ticket: request.ticket ?? null,
          ...(request.breakGlass ? { breakGlass: true, confirmBy: request.breakGlass.confirmBy.toISOString() } : {}),
        },
      });
      tx.changed(request.id, "request.created");
      // A break glass is approved by its requester's own hand in the same transaction: a replica
      // that stops right after cannot leave it pending, to be announced as an ordinary request.
      if (request.breakGlass) {
        return moveRequest(tx, {
          id: request.id,
          from: "pending",
          event: "approve",
          at: request.createdAt,
          actor: request.requesterId,
          note: "break glass",
          detail: { breakGlass: true, confirmBy: request.breakGlass.confirmBy.toISOString() },
        });
      }
      return toRequest(row);
    });
  }

  /**
   * Claims a modal's submission: true the first time this view id and hash are seen. Slack refuses
   * a signature older than five minutes, so a day of claims is far more than a replay can reach.
   */
  async claimViewSubmission(viewId: string, viewHash: string, userId: string, at: Date): Promise<boolean> {
    return this.engine.write((tx) => claimView(tx, { id: viewId, hash: viewHash, userId }, at));
  }

  /** Whether a modal's submission was filed already (read before the ack; the claim is in insertOnce). */
  async viewSubmitted(viewId: string, viewHash: string): Promise<boolean> {
    const row = await this.db
      .selectFrom("view_submissions")
      .select("view_id")
      .where("view_id", "=", viewId)
      .where("view_hash", "=", viewHash)
      .executeTakeFirst();
    return row !== undefined;
  }

  get(id: string): Promise<AccessRequest | undefined> {
    return getRequest(this.db, id);
  }

  mustGet(id: string): Promise<AccessRequest> {
    return mustGetRequest(this.db, id);
  }

  /**
   * The request at the top of an extension chain: the one whose grant every extension moves. An
   * extension always names its root, but a stored chain (or a forged `extends`) may be deeper.
   */
  async rootOf(id: string): Promise<AccessRequest> {
    let request = await this.mustGet(id);
    for (let hops = 0; request.extendsRequestId && hops < MAX_CHAIN; hops++) {
      request = await this.mustGet(request.extendsRequestId);
    }
    return request;
  }

  async listByRequester(requesterId: string, statuses: RequestStatus[]): Promise<AccessRequest[]> {
    if (statuses.length === 0) return [];
    const rows = await this.db
      .selectFrom("requests")
      .selectAll()
      .where("requester_id", "=", requesterId)
      .where("status", "in", statuses)
      .orderBy("created_at")
      .execute();
    return rows.map(toRequest);
  }

  async listByStatus(status: RequestStatus, limit = 1000): Promise<AccessRequest[]> {
    const rows = await this.db
      .selectFrom("requests")
      .selectAll()
      .where("status", "=", status)
      .orderBy("created_at")
      .limit(limit)
      .execute();
    return rows.map(toRequest);
  }

  approvals(requestId: string): Promise<Approval[]> {
    return approvalsOf(this.db, requestId);
  }

  async setReceipt(id: string, channel: string, ts: string): Promise<void> {
    await this.db
      .updateTable("requests")
      .set({ receipt_channel: channel, receipt_ts: ts })
      .where("id", "=", id)
      .execute();
  }

  async setApprovalMessage(id: string, channel: string, ts: string): Promise<void> {
    await this.db
      .updateTable("requests")
      .set({ approval_channel: channel, approval_ts: ts })
      .where("id", "=", id)
      .execute();
  }

  async markApprovalReminded(id: string, at: Date): Promise<boolean> {
    const result = await this.db
      .updateTable("requests")
      .set({ approval_reminded_at: at.getTime() })
      .where("id", "=", id)
      .where("approval_reminded_at", "is", null)
      .executeTakeFirst();
    return result.numUpdatedRows === 1n;
  }

  /**
   * One approver's decision, in one transaction guarded on `pending`: of twenty simultaneous
   * clicks exactly one moves the request; the others see ALREADY_DECIDED or ALREADY_DECIDED_BY_YOU.
   * The request row is locked first, so two approvers on two replicas count each other's approval.
   */
  async decide(input: {
    id: string;
    approverId: string;
    decision: "approve" | "deny";
    required: number;
    /** Replaces the count when approvals must satisfy several approver sets (a bundle). */
    satisfied?: (approverIds: readonly string[]) => boolean;
    note?: string;
    at: Date;
    /** More for the audit row of the decision (on-call auto-approval names its schedule). */
    detail?: Record<string, unknown>;
  }): Promise<DecisionOutcome> {
    return this.engine.write(async (tx): Promise<DecisionOutcome> => {
      const current = await this.engine.lockRequest(tx, input.id);
      if (!current) throw new DomainError("REQUEST_NOT_FOUND", { id: input.id });
      if (current.status !== "pending") throw new DomainError("ALREADY_DECIDED", { status: current.status });
      const inserted = await tx.db
        .insertInto("approvals")
        .values({
          request_id: input.id,
          approver_id: input.approverId,
          decision: input.decision,
          at: input.at.getTime(),
        })
        .onConflict((conflict) => conflict.doNothing())
        .executeTakeFirst();
      if (inserted.numInsertedOrUpdatedRows !== 1n) throw new DomainError("ALREADY_DECIDED_BY_YOU");
      const approvers = (await approvalsOf(tx.db, input.id)).filter((a) => a.decision === "approve");
      const approvals = approvers.length;
      const met = input.satisfied ? input.satisfied(approvers.map((a) => a.approverId)) : approvals >= input.required;
      if (input.decision === "approve" && !met) {
        tx.audit({
          at: input.at,
          actor: input.approverId,
          action: "request.approval_recorded",
          requestId: input.id,
          detail: { approvals, required: input.required },
        });
        return { kind: "recorded", request: current, approvals };
      }
      const request = await moveRequest(tx, {
        id: input.id,
        from: "pending",
        event: input.decision === "approve" ? "approve" : "deny",
        at: input.at,
        actor: input.approverId,
        note: input.note,
        detail: { ...input.detail, approvals, required: input.required },
      });
      return input.decision === "approve" ? { kind: "approved", request } : { kind: "denied", request };
    });
  }

  /** Moves a request from `from` by `event`, or throws the DomainError that explains why not. */
  async transition(input: Move): Promise<AccessRequest> {
    return this.engine.write(async (tx) => {
      await this.engine.lockRequest(tx, input.id);
      return moveRequest(tx, input);
    });
  }

  /** `transition` with its arguments in a row, as older callers pass them. */
  move(
    id: string,
    from: RequestStatus,
    event: RequestEvent,
    at: Date,
    actor: string,
    note?: string,
    detail: Record<string, unknown> = {},
  ): Promise<AccessRequest> {
    return this.transition({ id, from, event, at, actor, note, detail });
  }
}

async function claimView(tx: Tx, view: { id: string; hash: string; userId: string }, at: Date): Promise<boolean> {
  await tx.db
    .deleteFrom("view_submissions")
    .where("at", "<", at.getTime() - DAY_MS)
    .execute();
  const claimed = await tx.db
    .insertInto("view_submissions")
    .values({ view_id: view.id, view_hash: view.hash, user_id: view.userId, at: at.getTime() })
    .onConflict((conflict) => conflict.doNothing())
    .executeTakeFirst();
  return claimed.numInsertedOrUpdatedRows === 1n;
}
