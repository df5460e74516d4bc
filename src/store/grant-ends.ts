import type { ExpressionBuilder } from "kysely";
import type { AccessRequest, EarlyEnd, GrantRecord } from "../domain/request.js";
import type { Tx } from "./engine.js";
import { GrantReads, getGrant } from "./grant-reads.js";
import { getRequest, moveRequest } from "./request-rows.js";
import { toGrant } from "./rows.js";
import type { Database } from "./schema.js";

/** A finished revoke attempt (ended, or failed and rescheduled) frees the grant for any replica. */
export const NO_LEASE = { lease_owner: null, lease_until: null } as const;

/** A grant just ended, and its request, as the ending transaction left them. */
export interface EndedGrant {
  request: AccessRequest;
  grant: GrantRecord;
}

/** Due, active, and not leased by anyone else (or their lease lapsed). */
function claimable(now: Date, owner: string) {
  return (eb: ExpressionBuilder<Database, "grants">) =>
    eb.and([
      eb("status", "=", "active"),
      eb("due_at", "<=", now.getTime()),
      eb.or([eb("lease_owner", "is", null), eb("lease_owner", "=", owner), eb("lease_until", "<=", now.getTime())]),
    ]);
}

/**
 * The end of a grant's life: asking for it early, the revoke's outcome (ended, or failed and
 * retried), and the leases that keep two replicas from revoking the same grant at once.
 */
export class GrantEnds extends GrantReads {
  /**
   * Ends a grant the provider confirmed revoked; undefined when it had already ended (no double
   * end). Answers the request and grant as this transaction left them, so the caller's notices
   * need no second read.
   */
  async end(input: {
    requestId: string;
    reason: "expired" | "revoked" | "not_confirmed";
    at: Date;
    actor: string;
    detail: string;
    /** Whether a read-back after the revoke showed the access gone, and what it read. */
    verified?: boolean;
    readBack?: string;
  }): Promise<EndedGrant | undefined> {
    const audited = {
      detail: input.detail,
      ...(input.verified === undefined ? {} : { verified: input.verified }),
      ...(input.readBack === undefined ? {} : { readBack: input.readBack }),
    };
    return this.engine.write(async (tx) => {
      const request = await this.engine.lockRequest(tx, input.requestId);
      const row = await tx.db
        .updateTable("grants")
        .set({ status: "ended", end_reason: input.reason, ended_at: input.at.getTime(), last_error: null, ...NO_LEASE })
        .where("request_id", "=", input.requestId)
        .where("status", "=", "active")
        .returningAll()
        // In the same round trip: whether any request extends this one (the partial index answers),
        // so the common grant with no extension skips the recursive walk below.
        .returning((eb) =>
          eb
            .exists(eb.selectFrom("requests").select("id").where("extends_request_id", "=", input.requestId))
            .as("extended"),
        )
        .executeTakeFirst();
      if (!row) return undefined;
      const { extended, ...grantRow } = row;
      const grant = toGrant(grantRow);
      tx.changed(input.requestId, "grant.ended");
      // A roll-back that is finally confirmed: the request had already failed; only the audit learns.
      if (request?.status !== "active") {
        tx.audit({
          at: input.at,
          actor: input.actor,
          action: "grant.rolled_back",
          requestId: input.requestId,
          detail: audited,
        });
        // The grant's foreign key keeps its request; without one there is nobody to tell.
        return request && { request, grant };
      }
      const moved = await moveRequest(tx, {
        id: input.requestId,
        from: "active",
        event: input.reason === "expired" ? "expire" : "revoke",
        at: input.at,
        actor: input.actor,
        detail: input.reason === "not_confirmed" ? { ...audited, reason: "not confirmed", breakGlass: true } : audited,
      });
      // SQLite answers EXISTS with 0 or 1, PostgreSQL with a boolean.
      if (Number(extended) === 1) await this.endExtensions(tx, request.requesterId, input);
      return { request: moved, grant };
    });
  }

  /**
   * An applied extension is `active` with no grant of its own: the whole chain under the grant
   * ends with it. A chain stored before extensions always named their root may be deeper, and may
   * even hold a grant of its own: that one is made due now, so the sweep takes it away too.
   */
  private async endExtensions(
    tx: Tx,
    requesterId: string,
    input: { requestId: string; reason: "expired" | "revoked" | "not_confirmed"; at: Date; actor: string },
  ): Promise<void> {
    const chain = await tx.db
      .withRecursive("chain(id)", (db) =>
        db
          .selectFrom("requests")
          .select("id")
          .where("extends_request_id", "=", input.requestId)
          .where("requester_id", "=", requesterId)
          .union(
            db
              .selectFrom("requests as r")
              .innerJoin("chain as c", "r.extends_request_id", "c.id")
              .select("r.id")
              .where("r.requester_id", "=", requesterId),
          ),
      )
      .selectFrom("chain as c")
      .innerJoin("requests as r", "r.id", "c.id")
      .leftJoin("grants as g", "g.request_id", "r.id")
      .select(["r.id as id", "g.status as grant_status"])
      .where("r.status", "=", "active")
      .execute();
    const event = input.reason === "expired" ? "expire" : "revoke";
    for (const { id, grant_status } of chain) {
      if (grant_status === null) {
        await moveRequest(tx, {
          id,
          from: "active",
          event,
          at: input.at,
          actor: input.actor,
          detail: { endedWith: input.requestId },
        });
      } else if (grant_status === "active") {
        await tx.db
          .updateTable("grants")
          .set((eb) => ({
            due_at: eb
              .case()
              .when("due_at", "<", input.at.getTime())
              .then(eb.ref("due_at"))
              .else(input.at.getTime())
              .end(),
            end_reason: eb.fn.coalesce("end_reason", eb.val(input.reason)),
          }))
          .where("request_id", "=", id)
          .where("status", "=", "active")
          .execute();
        tx.changed(id, "grant.end_requested");
      }
    }
  }

  /**
   * Someone asked to end a request early. Decided in one transaction against what its grant is
   * doing at this moment, so a grant completing at the same instant cannot slip between: active →
   * due now; in flight → the intent is recorded and the grant is revoked the moment it completes;
   * not started → the request is cancelled, so none starts. Undefined: there is nothing to end.
   */
  async requestEnd(requestId: string, at: Date, actor: string): Promise<EarlyEnd | undefined> {
    return this.engine.write(async (tx): Promise<EarlyEnd | undefined> => {
      await this.engine.lockRequest(tx, requestId);
      if (await this.earlyEnd(tx, requestId, at, actor)) return "revoking";
      const recorded = await tx.db
        .updateTable("grants")
        .set((eb) => ({
          revoke_requested_at: eb.fn.coalesce("revoke_requested_at", eb.val(at.getTime())),
          revoke_requested_by: eb.fn.coalesce("revoke_requested_by", eb.val(actor)),
        }))
        .where("request_id", "=", requestId)
        .where("status", "=", "granting")
        .executeTakeFirst();
      if (recorded.numUpdatedRows === 1n) {
        tx.audit({ at, actor, action: "grant.revoke_requested", requestId, detail: { whileGranting: true } });
        tx.changed(requestId, "grant.end_requested");
        return "revoke_after_grant";
      }
      if ((await getGrant(tx.db, requestId)) || (await getRequest(tx.db, requestId))?.status !== "approved") {
        return undefined;
      }
      await moveRequest(tx, {
        id: requestId,
        from: "approved",
        event: "cancel",
        at,
        actor,
        detail: { beforeGrantStarted: true },
      });
      tx.changed(requestId, "grant.end_requested");
      return "cancelled";
    });
  }

  /** `/jit revoke`: due now, remembered as an early revoke so the end is recorded as `revoked`. */
  async requestEarlyEnd(requestId: string, at: Date, actor: string): Promise<boolean> {
    return this.engine.write(async (tx) => {
      await this.engine.lockRequest(tx, requestId);
      return this.earlyEnd(tx, requestId, at, actor);
    });
  }

  private async earlyEnd(tx: Tx, requestId: string, at: Date, actor: string): Promise<boolean> {
    const result = await tx.db
      .updateTable("grants")
      .set((eb) => ({
        due_at: eb.case().when("due_at", "<", at.getTime()).then(eb.ref("due_at")).else(at.getTime()).end(),
        end_reason: "revoked",
      }))
      .where("request_id", "=", requestId)
      .where("status", "=", "active")
      .executeTakeFirst();
    if (result.numUpdatedRows !== 1n) return false;
    tx.audit({ at, actor, action: "grant.revoke_requested", requestId });
    tx.changed(requestId, "grant.end_requested");
    return true;
  }

  async revokeFailed(input: { requestId: string; error: string; nextAttemptAt: Date }): Promise<void> {
    await this.engine.write(async (tx) => {
      const result = await tx.db
        .updateTable("grants")
        .set((eb) => ({
          revoke_attempts: eb("revoke_attempts", "+", 1),
          last_error: input.error,
          due_at: input.nextAttemptAt.getTime(),
          ...NO_LEASE,
        }))
        .where("request_id", "=", input.requestId)
        .where("status", "=", "active")
        .executeTakeFirst();
      if (result.numUpdatedRows === 1n) tx.changed(input.requestId, "grant.revoke_failed");
    });
  }

  /**
   * A replica's heartbeat: the leases it holds (grants in flight, revokes in progress) last another
   * `leaseMs`. A replica that stops beating loses them when they lapse, and another takes over.
   */
  async renewLeases(owner: string, now: Date, leaseMs: number): Promise<number> {
    const result = await this.db
      .updateTable("grants")
      .set({ lease_until: now.getTime() + leaseMs })
      .where("lease_owner", "=", owner)
      .where("status", "in", ["granting", "active"])
      .executeTakeFirst();
    return Number(result.numUpdatedRows);
  }

  /** Leases one due grant to `owner` (an early end revoked at once); undefined when another holds it. */
  async claim(requestId: string, now: Date, owner: string, leaseMs: number): Promise<GrantRecord | undefined> {
    const row = await this.db
      .updateTable("grants")
      .set({ lease_owner: owner, lease_until: now.getTime() + leaseMs })
      .where("request_id", "=", requestId)
      .where(claimable(now, owner))
      .returningAll()
      .executeTakeFirst();
    return row ? toGrant(row) : undefined;
  }

  /**
   * Takes over a grant left in flight by a replica that stopped (its lease lapsed), or by an earlier
   * life of this one, so exactly one replica rolls it back. False when a live replica still holds it.
   */
  async takeOver(requestId: string, now: Date, owner: string, leaseMs: number): Promise<boolean> {
    const result = await this.db
      .updateTable("grants")
      .set({ lease_owner: owner, lease_until: now.getTime() + leaseMs })
      .where("request_id", "=", requestId)
      .where("status", "=", "granting")
      .where((eb) =>
        eb.or([eb("lease_owner", "is", null), eb("lease_owner", "=", owner), eb("lease_until", "<=", now.getTime())]),
      )
      .executeTakeFirst();
    return result.numUpdatedRows === 1n;
  }

  /**
   * Leases up to `limit` due grants to `owner` for `leaseMs`: those nobody holds, this owner's own,
   * and those whose holder's lease lapsed (a replica that died mid-revoke). PostgreSQL skips rows
   * another replica is claiming this instant (FOR UPDATE SKIP LOCKED), so no grant is claimed twice.
   */
  async claimDue(now: Date, limit: number, owner: string, leaseMs: number): Promise<GrantRecord[]> {
    return this.engine.write(async (tx) => {
      let due = tx.db
        .selectFrom("grants")
        .select("request_id")
        .where(claimable(now, owner))
        .orderBy("due_at")
        .orderBy("request_id")
        .limit(limit);
      if (this.engine.kind === "postgres") due = due.forUpdate().skipLocked();
      const ids = (await due.execute()).map((row) => row.request_id);
      if (ids.length === 0) return [];
      const rows = await tx.db
        .updateTable("grants")
        .set({ lease_owner: owner, lease_until: now.getTime() + leaseMs })
        .where("request_id", "in", ids)
        // The guard again: a row another claim leased between the read and this write is left alone.
        .where(claimable(now, owner))
        .returningAll()
        .execute();
      return rows.map(toGrant).sort((a, b) => a.dueAt.getTime() - b.dueAt.getTime());
    });
  }
}
