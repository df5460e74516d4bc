import type { GrantRecord } from "../domain/request.js";
import type { Db } from "./db.js";
import { type GrantRow, toGrant } from "./rows.js";

/** Where the previous page of due grants stopped: (due_at, rowid), the order of the partial index. */
export interface DueCursor {
  dueAt: number;
  rowid: number;
}

/** The grant rows' read side: lookups and the queues the sweep, the timer and reminders work from. */
export class GrantReads {
  constructor(protected readonly db: Db) {}

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
}
