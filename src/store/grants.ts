import type { GrantRecord } from "../domain/request.js";
import { appendAudit } from "./audit.js";
import type { Db } from "./db.js";
import type { RequestRepo } from "./requests.js";
import { type GrantRow, toGrant } from "./rows.js";

type State = GrantRecord["state"];

/** Where the previous page of due grants stopped: (due_at, rowid), the order of the partial index. */
export interface DueCursor {
  dueAt: number;
  rowid: number;
}

export class GrantRepo {
  constructor(
    private readonly db: Db,
    private readonly requests: RequestRepo,
  ) {}

  get(requestId: string): GrantRecord | undefined {
    const row = this.db.prepare("SELECT * FROM grants WHERE request_id = ?").get(requestId) as GrantRow | undefined;
    return row ? toGrant(row) : undefined;
  }

  /** The grants of a person's active requests, in one query (`/jit list` and App Home). */
  ofActiveRequests(requesterId: string): Map<string, GrantRecord> {
    const rows = this.db
      .prepare(
        `SELECT g.* FROM grants g JOIN requests r ON r.id = g.request_id
         WHERE r.requester_id = ? AND r.status = 'active'`,
      )
      .all(requesterId) as GrantRow[];
    return new Map(rows.map((row) => [row.request_id, toGrant(row)]));
  }

  /** Written before the provider is called, so a crash mid-call is found and reconciled at start-up. */
  start(input: { requestId: string; provider: string; at: Date; expiresAt: Date }): void {
    this.db
      .prepare(
        `INSERT INTO grants (request_id, provider, status, started_at, expires_at, due_at)
         VALUES (?, ?, 'granting', ?, ?, ?)
         ON CONFLICT (request_id) DO UPDATE SET status = 'granting', started_at = excluded.started_at,
           expires_at = excluded.expires_at, due_at = excluded.due_at WHERE grants.status = 'granting'`,
      )
      .run(input.requestId, input.provider, input.at.getTime(), input.expiresAt.getTime(), input.expiresAt.getTime());
  }

  activate(input: { requestId: string; state: State; at: Date; expiresAt: Date; providerExpiresAt?: Date }): void {
    this.db.transaction(() => {
      const result = this.db
        .prepare(
          `UPDATE grants SET status = 'active', state = ?, granted_at = ?, expires_at = ?, due_at = ?,
             provider_expires_at = ? WHERE request_id = ? AND status = 'granting'`,
        )
        .run(
          JSON.stringify(input.state),
          input.at.getTime(),
          input.expiresAt.getTime(),
          input.expiresAt.getTime(),
          input.providerExpiresAt?.getTime() ?? null,
          input.requestId,
        );
      if (result.changes !== 1) throw new Error(`grant ${input.requestId} is not being granted`);
      this.requests.move(input.requestId, "approved", "activate", input.at, "jitbot", undefined, {
        expiresAt: input.expiresAt.toISOString(),
      });
    })();
  }

  fail(input: { requestId: string; at: Date; reason: string }): void {
    this.db.transaction(() => {
      this.db
        .prepare("UPDATE grants SET status = 'failed', last_error = ? WHERE request_id = ? AND status = 'granting'")
        .run(input.reason, input.requestId);
      this.requests.move(input.requestId, "approved", "fail", input.at, "jitbot", input.reason);
    })();
  }

  /** Ends a grant the provider confirmed revoked; false when it had already ended (no double end). */
  end(input: { requestId: string; reason: "expired" | "revoked"; at: Date; actor: string; detail: string }): boolean {
    return this.db.transaction(() => {
      const result = this.db
        .prepare(
          `UPDATE grants SET status = 'ended', end_reason = ?, ended_at = ?, last_error = NULL
           WHERE request_id = ? AND status = 'active'`,
        )
        .run(input.reason, input.at.getTime(), input.requestId);
      if (result.changes !== 1) return false;
      const event = input.reason === "expired" ? "expire" : "revoke";
      const original = this.requests.move(input.requestId, "active", event, input.at, input.actor, undefined, {
        detail: input.detail,
      });
      // An applied extension is `active` with no grant of its own: it ends with the grant it extended.
      const extensions = this.db
        .prepare("SELECT id FROM requests WHERE requester_id = ? AND status = 'active' AND extends_request_id = ?")
        .all(original.requesterId, input.requestId) as { id: string }[];
      for (const { id } of extensions) {
        this.requests.move(id, "active", event, input.at, input.actor, undefined, { endedWith: input.requestId });
      }
      return true;
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
   */
  extend(requestId: string, expiresAt: Date, at: Date, actor: string, byRequestId: string): boolean {
    return this.db.transaction(() => {
      const result = this.db
        .prepare(
          `UPDATE grants SET expires_at = ?, due_at = ?, reminder_sent_at = NULL
           WHERE request_id = ? AND status = 'active' AND end_reason IS NULL AND expires_at > ?`,
        )
        .run(expiresAt.getTime(), expiresAt.getTime(), requestId, at.getTime());
      if (result.changes === 1) {
        appendAudit(this.db, {
          at,
          actor,
          action: "grant.extended",
          requestId,
          detail: { expiresAt: expiresAt.toISOString(), by: byRequestId },
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

  due(now: Date, limit: number): GrantRecord[] {
    const rows = this.db
      .prepare("SELECT * FROM grants WHERE status = 'active' AND due_at <= ? ORDER BY due_at LIMIT ?")
      .all(now.getTime(), limit) as GrantRow[];
    return rows.map(toGrant);
  }

  /**
   * One page of due grants in index order, after `after`. A sweep pages with this so it visits each
   * due grant at most once however many there are, and a grant it cannot finish (in flight
   * elsewhere, or failing) neither stops the sweep nor makes it loop.
   */
  duePage(now: Date, limit: number, after?: DueCursor): { grants: GrantRecord[]; next: DueCursor | undefined } {
    const rows = this.db
      .prepare(
        `SELECT rowid AS cursor_rowid, * FROM grants WHERE status = 'active' AND due_at <= ?
         AND (due_at, rowid) > (?, ?) ORDER BY due_at, rowid LIMIT ?`,
      )
      .all(now.getTime(), after?.dueAt ?? Number.MIN_SAFE_INTEGER, after?.rowid ?? -1, limit) as (GrantRow & {
      cursor_rowid: number;
    })[];
    const last = rows.at(-1);
    return {
      grants: rows.map(toGrant),
      next: last && rows.length === limit ? { dueAt: last.due_at, rowid: last.cursor_rowid } : undefined,
    };
  }

  nextDueAt(): Date | undefined {
    const row = this.db.prepare("SELECT MIN(due_at) AS at FROM grants WHERE status = 'active'").get() as {
      at: number | null;
    };
    return row.at === null ? undefined : new Date(row.at);
  }

  /**
   * Active grants ending in (now, before] whose requester has not been reminded yet. Overdue grants
   * (a revoke still failing) are left out: they would never be reminded, and a thousand of them
   * would fill the page and starve everyone else's reminder. For a grant that is neither overdue
   * nor ending early, due_at equals expires_at, so the partial index on due_at finds them.
   */
  needingReminder(before: Date, now: Date): GrantRecord[] {
    const rows = this.db
      .prepare(
        `SELECT * FROM grants WHERE status = 'active' AND due_at <= ? AND expires_at <= ? AND expires_at > ?
         AND reminder_sent_at IS NULL AND end_reason IS NULL ORDER BY due_at LIMIT 1000`,
      )
      .all(before.getTime(), before.getTime(), now.getTime()) as GrantRow[];
    return rows.map(toGrant);
  }

  inFlight(): GrantRecord[] {
    return (this.db.prepare("SELECT * FROM grants WHERE status = 'granting'").all() as GrantRow[]).map(toGrant);
  }

  active(): GrantRecord[] {
    return (
      this.db.prepare("SELECT * FROM grants WHERE status = 'active' ORDER BY expires_at").all() as GrantRow[]
    ).map(toGrant);
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
