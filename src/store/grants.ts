import type { EarlyEnd, GrantRecord } from "../domain/request.js";
import { appendAudit } from "./audit.js";
import type { Db } from "./db.js";
import { GrantReads } from "./grant-reads.js";
import type { RequestRepo } from "./requests.js";

type State = GrantRecord["state"];

/** The grant rows' guarded writes; every state change is one transaction guarded on the old state. */
export class GrantRepo extends GrantReads {
  constructor(
    db: Db,
    private readonly requests: RequestRepo,
  ) {
    super(db);
  }

  /**
   * Written before the provider is called, so a crash mid-call is found and reconciled at start-up.
   * False when the request is no longer `approved` (withdrawn meanwhile): nothing may be granted.
   */
  start(input: { requestId: string; provider: string; at: Date; expiresAt: Date }): boolean {
    const result = this.db
      .prepare(
        `INSERT INTO grants (request_id, provider, status, started_at, expires_at, due_at)
         SELECT ?, ?, 'granting', ?, ?, ? WHERE EXISTS (SELECT 1 FROM requests WHERE id = ? AND status = 'approved')
         ON CONFLICT (request_id) DO UPDATE SET status = 'granting', started_at = excluded.started_at,
           expires_at = excluded.expires_at, due_at = excluded.due_at WHERE grants.status = 'granting'`,
      )
      .run(
        input.requestId,
        input.provider,
        input.at.getTime(),
        input.expiresAt.getTime(),
        input.expiresAt.getTime(),
        input.requestId,
      );
    return result.changes === 1;
  }

  activate(input: { requestId: string; state: State; at: Date; expiresAt: Date; providerExpiresAt?: Date }): void {
    this.db.transaction(() => {
      const result = this.db
        .prepare(
          // A revoke asked for while granting makes it due at once, in the same write that activates it.
          `UPDATE grants SET status = 'active', state = ?, granted_at = ?, expires_at = ?,
             due_at = CASE WHEN revoke_requested_at IS NULL THEN ? ELSE ? END,
             end_reason = CASE WHEN revoke_requested_at IS NULL THEN end_reason ELSE 'revoked' END,
             provider_expires_at = ? WHERE request_id = ? AND status = 'granting'`,
        )
        .run(
          JSON.stringify(input.state),
          input.at.getTime(),
          input.expiresAt.getTime(),
          input.expiresAt.getTime(),
          input.at.getTime(),
          input.providerExpiresAt?.getTime() ?? null,
          input.requestId,
        );
      if (result.changes !== 1) throw new Error(`grant ${input.requestId} is not being granted`);
      this.requests.move(input.requestId, "approved", "activate", input.at, "jitbot", undefined, {
        expiresAt: input.expiresAt.toISOString(),
      });
    })();
  }

  /** The provider confirmed nothing is left. The request may already have failed (another reconcile). */
  fail(input: { requestId: string; at: Date; reason: string }): void {
    this.db.transaction(() => {
      this.db
        .prepare("UPDATE grants SET status = 'failed', last_error = ? WHERE request_id = ? AND status = 'granting'")
        .run(input.reason, input.requestId);
      if (this.requests.get(input.requestId)?.status === "approved") {
        this.requests.move(input.requestId, "approved", "fail", input.at, "jitbot", input.reason);
      }
    })();
  }

  /**
   * A roll-back the provider did not confirm. Whatever the grant row reached meanwhile (in flight,
   * active, or failed by a start-up reconcile), it becomes due now and `revoked`, so the sweep
   * retries it with backoff and alerts until the provider confirms. The request fails now: the
   * person never got this access, and `/jit list` must not show it as theirs.
   */
  rollBackLater(input: { requestId: string; at: Date; reason: string; rollbackState: State }): void {
    this.db.transaction(() => {
      const result = this.db
        .prepare(
          `UPDATE grants SET state = CASE WHEN status = 'active' THEN state ELSE ? END, status = 'active',
             granted_at = COALESCE(granted_at, ?), due_at = ?, end_reason = 'revoked', last_error = ?
           WHERE request_id = ? AND status IN ('granting', 'active', 'failed')`,
        )
        .run(
          JSON.stringify(input.rollbackState),
          input.at.getTime(),
          input.at.getTime(),
          input.reason,
          input.requestId,
        );
      if (result.changes !== 1) return;
      appendAudit(this.db, {
        at: input.at,
        actor: "jitbot",
        action: "grant.rollback_pending",
        requestId: input.requestId,
      });
      if (this.requests.get(input.requestId)?.status === "approved") {
        this.requests.move(input.requestId, "approved", "fail", input.at, "jitbot", input.reason);
      }
    })();
  }

  /** Ends a grant the provider confirmed revoked; false when it had already ended (no double end). */
  end(input: {
    requestId: string;
    reason: "expired" | "revoked";
    at: Date;
    actor: string;
    detail: string;
    /** Whether a read-back after the revoke showed the access gone, and what it read. */
    verified?: boolean;
    readBack?: string;
  }): boolean {
    const audited = {
      detail: input.detail,
      ...(input.verified === undefined ? {} : { verified: input.verified }),
      ...(input.readBack === undefined ? {} : { readBack: input.readBack }),
    };
    return this.db.transaction(() => {
      const result = this.db
        .prepare(
          `UPDATE grants SET status = 'ended', end_reason = ?, ended_at = ?, last_error = NULL
           WHERE request_id = ? AND status = 'active'`,
        )
        .run(input.reason, input.at.getTime(), input.requestId);
      if (result.changes !== 1) return false;
      // A roll-back that is finally confirmed: the request had already failed; only the audit learns.
      if (this.requests.get(input.requestId)?.status !== "active") {
        appendAudit(this.db, {
          at: input.at,
          actor: input.actor,
          action: "grant.rolled_back",
          requestId: input.requestId,
          detail: audited,
        });
        return true;
      }
      const event = input.reason === "expired" ? "expire" : "revoke";
      const original = this.requests.move(input.requestId, "active", event, input.at, input.actor, undefined, audited);
      this.endExtensions(original.requesterId, input);
      return true;
    })();
  }

  /**
   * An applied extension is `active` with no grant of its own: the whole chain under the grant
   * ends with it. A chain stored before extensions always named their root may be deeper, and may
   * even hold a grant of its own: that one is made due now, so the sweep takes it away too.
   */
  private endExtensions(
    requesterId: string,
    input: { requestId: string; reason: "expired" | "revoked"; at: Date; actor: string },
  ): void {
    const chain = this.db
      .prepare(
        `WITH RECURSIVE chain(id) AS (
           SELECT id FROM requests WHERE extends_request_id = ? AND requester_id = ?
           UNION SELECT r.id FROM requests r JOIN chain c ON r.extends_request_id = c.id WHERE r.requester_id = ?)
         SELECT r.id, g.status AS grant_status FROM chain c JOIN requests r ON r.id = c.id
           LEFT JOIN grants g ON g.request_id = r.id WHERE r.status = 'active'`,
      )
      .all(input.requestId, requesterId, requesterId) as { id: string; grant_status: string | null }[];
    const event = input.reason === "expired" ? "expire" : "revoke";
    for (const { id, grant_status } of chain) {
      if (grant_status === null) {
        this.requests.move(id, "active", event, input.at, input.actor, undefined, { endedWith: input.requestId });
      } else if (grant_status === "active") {
        this.db
          .prepare(
            `UPDATE grants SET due_at = MIN(due_at, ?), end_reason = COALESCE(end_reason, ?)
             WHERE request_id = ? AND status = 'active'`,
          )
          .run(input.at.getTime(), input.reason, id);
      }
    }
  }

  /**
   * Someone asked to end a request early. Decided in one transaction against what its grant is
   * doing at this moment, so a grant completing at the same instant cannot slip between: active →
   * due now; in flight → the intent is recorded and the grant is revoked the moment it completes;
   * not started → the request is cancelled, so none starts. Undefined: there is nothing to end.
   */
  requestEnd(requestId: string, at: Date, actor: string): EarlyEnd | undefined {
    return this.db.transaction((): EarlyEnd | undefined => {
      if (this.requestEarlyEnd(requestId, at, actor)) return "revoking";
      const recorded = this.db
        .prepare(
          `UPDATE grants SET revoke_requested_at = COALESCE(revoke_requested_at, ?),
             revoke_requested_by = COALESCE(revoke_requested_by, ?)
           WHERE request_id = ? AND status = 'granting'`,
        )
        .run(at.getTime(), actor, requestId);
      if (recorded.changes === 1) {
        appendAudit(this.db, {
          at,
          actor,
          action: "grant.revoke_requested",
          requestId,
          detail: { whileGranting: true },
        });
        return "revoke_after_grant";
      }
      if (this.get(requestId) || this.requests.get(requestId)?.status !== "approved") return undefined;
      this.requests.move(requestId, "approved", "cancel", at, actor, undefined, { beforeGrantStarted: true });
      return "cancelled";
    })();
  }

  /** `/jit revoke`: due now, remembered as an early revoke so the end is recorded as `revoked`. */
  requestEarlyEnd(requestId: string, at: Date, actor: string): boolean {
    return this.db.transaction(() => {
      const result = this.db
        .prepare(
          `UPDATE grants SET due_at = MIN(due_at, ?), end_reason = 'revoked'
           WHERE request_id = ? AND status = 'active'`,
        )
        .run(at.getTime(), requestId);
      if (result.changes === 1) {
        appendAudit(this.db, { at, actor, action: "grant.revoke_requested", requestId });
      }
      return result.changes === 1;
    })();
  }

  /**
   * Changes the end of an active grant (extension); the timer is re-armed by the caller. A grant
   * whose end has passed is over even while its revoke is still retrying: it is never extended.
   * `provider` is what the provider changed to match (new state, the end the cloud now enforces).
   */
  extend(
    requestId: string,
    expiresAt: Date,
    at: Date,
    actor: string,
    byRequestId: string,
    provider?: { state: State; providerExpiresAt?: Date; detail: string },
  ): boolean {
    return this.db.transaction(() => {
      const result = this.db
        .prepare(
          `UPDATE grants SET expires_at = ?, due_at = ?, reminder_sent_at = NULL,
             state = COALESCE(?, state), provider_expires_at = COALESCE(?, provider_expires_at)
           WHERE request_id = ? AND status = 'active' AND end_reason IS NULL AND expires_at > ?`,
        )
        .run(
          expiresAt.getTime(),
          expiresAt.getTime(),
          provider ? JSON.stringify(provider.state) : null,
          provider?.providerExpiresAt?.getTime() ?? null,
          requestId,
          at.getTime(),
        );
      if (result.changes === 1) {
        appendAudit(this.db, {
          at,
          actor,
          action: "grant.extended",
          requestId,
          detail: {
            expiresAt: expiresAt.toISOString(),
            by: byRequestId,
            ...(provider ? { provider: provider.detail } : {}),
          },
        });
      }
      return result.changes === 1;
    })();
  }

  revokeFailed(input: { requestId: string; error: string; nextAttemptAt: Date }): void {
    this.db
      .prepare(
        `UPDATE grants SET revoke_attempts = revoke_attempts + 1, last_error = ?, due_at = ?
         WHERE request_id = ? AND status = 'active'`,
      )
      .run(input.error, input.nextAttemptAt.getTime(), input.requestId);
  }

  recordDm(requestId: string, channel: string, ts: string, hasSecret: boolean): void {
    this.db
      .prepare("UPDATE grants SET dm_channel = ?, dm_ts = ?, dm_has_secret = ? WHERE request_id = ?")
      .run(channel, ts, hasSecret ? 1 : 0, requestId);
  }

  markReminderSent(requestId: string, at: Date): boolean {
    const result = this.db
      .prepare("UPDATE grants SET reminder_sent_at = ? WHERE request_id = ? AND reminder_sent_at IS NULL")
      .run(at.getTime(), requestId);
    return result.changes === 1;
  }

  markAlerted(requestId: string, at: Date): void {
    this.db.prepare("UPDATE grants SET last_alert_at = ? WHERE request_id = ?").run(at.getTime(), requestId);
  }

  setState(requestId: string, state: State, providerExpiresAt?: Date): void {
    this.db
      .prepare("UPDATE grants SET state = ?, provider_expires_at = ? WHERE request_id = ?")
      .run(JSON.stringify(state), providerExpiresAt?.getTime() ?? null, requestId);
  }
}
