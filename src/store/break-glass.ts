import type { Kysely } from "kysely";
import { DomainError } from "../domain/errors.js";
import type { AccessRequest, GrantRecord } from "../domain/request.js";
import type { Engine } from "./engine.js";
import { getGrant } from "./grant-reads.js";
import { toRequest } from "./rows.js";
import type { Database } from "./schema.js";

/** One break-glass use for the weekly summary, and how it ended (from the audit trail). */
export interface BreakGlassUse {
  request: AccessRequest;
  /** Who revoked it early (an approver or the requester), if anyone did. */
  revokedBy: string | undefined;
  /** How its grant ended, once it did. */
  endReason: GrantRecord["endReason"];
}

/** Break-glass confirmations, and the uses the weekly summary reports. */
export class BreakGlassRepo {
  constructor(private readonly engine: Engine) {}

  private get db(): Kysely<Database> {
    return this.engine.reads;
  }

  /**
   * An approver confirms: in one transaction guarded on the request being unconfirmed, still live,
   * and before its deadline. The grant then runs to its own end. Of two confirmations at once (or a
   * confirmation racing the deadline's revoke, or an approver's Revoke) exactly one outcome stands.
   */
  async confirm(input: { requestId: string; approverId: string; at: Date }): Promise<AccessRequest> {
    const { requestId, approverId, at } = input;
    return this.engine.write(async (tx) => {
      const request = await this.engine.lockRequest(tx, requestId);
      if (!request) throw new DomainError("REQUEST_NOT_FOUND", { id: requestId });
      const glass = request.breakGlass;
      if (!glass) throw new DomainError("NOT_BREAK_GLASS", { id: requestId });
      if (glass.confirmedBy) throw new DomainError("BREAK_GLASS_CONFIRMED", { by: glass.confirmedBy });
      const grant = await getGrant(tx.db, requestId);
      const running = request.status === "approved" || request.status === "active";
      if (!running || grant?.endReason) {
        throw new DomainError("BREAK_GLASS_OVER", { status: running ? "being revoked" : request.status });
      }
      if (at.getTime() >= glass.confirmBy.getTime()) throw new DomainError("BREAK_GLASS_TOO_LATE");
      const row = await tx.db
        .updateTable("requests")
        .set({ break_glass_confirmed_by: approverId, break_glass_confirmed_at: at.getTime(), updated_at: at.getTime() })
        .where("id", "=", requestId)
        .where("break_glass_confirmed_by", "is", null)
        .returningAll()
        .executeTakeFirstOrThrow();
      const confirmed = toRequest(row);
      // A grant in flight keeps its deadline until it activates, which reads the confirmation.
      await tx.db
        .updateTable("grants")
        .set((eb) => ({ due_at: eb.ref("expires_at") }))
        .where("request_id", "=", requestId)
        .where("status", "in", ["granting", "active"])
        .where("end_reason", "is", null)
        .execute();
      tx.audit({
        at,
        actor: approverId,
        action: "break_glass.confirmed",
        requestId,
        detail: { confirmBy: glass.confirmBy.toISOString() },
      });
      tx.changed(requestId, "grant.confirmed");
      return confirmed;
    });
  }

  /** Live break glasses nobody has confirmed yet, oldest first (App Home of their approvers). */
  async unconfirmed(limit = 200): Promise<AccessRequest[]> {
    const rows = await this.db
      .selectFrom("requests")
      .selectAll()
      .where("break_glass_confirm_by", "is not", null)
      .where("break_glass_confirmed_by", "is", null)
      .where("status", "in", ["approved", "active"])
      .orderBy("created_at")
      .limit(limit)
      .execute();
    return rows.map(toRequest);
  }

  /** Break-glass requests filed in [from, to), oldest first, each with who revoked it early. */
  async usesBetween(from: Date, to: Date): Promise<BreakGlassUse[]> {
    const rows = await this.db
      .selectFrom("requests")
      .selectAll()
      .where("break_glass_confirm_by", "is not", null)
      .where("created_at", ">=", from.getTime())
      .where("created_at", "<", to.getTime())
      .orderBy("created_at")
      .orderBy("id")
      .execute();
    const uses: BreakGlassUse[] = [];
    for (const row of rows) {
      const asked = await this.db
        .selectFrom("audit_events")
        .select("actor")
        .where("request_id", "=", row.id)
        .where("action", "=", "grant.revoke_requested")
        .orderBy("seq")
        .executeTakeFirst();
      const grant = await getGrant(this.db, row.id);
      uses.push({ request: toRequest(row), revokedBy: asked?.actor, endReason: grant?.endReason });
    }
    return uses;
  }
}
