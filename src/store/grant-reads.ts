import { type Kysely, sql } from "kysely";
import type { GrantRecord } from "../domain/request.js";
import { ENDED_CLAIM_PREFIX } from "../grants/lease.js";
import type { Engine } from "./engine.js";
import { toGrant } from "./rows.js";
import type { Database } from "./schema.js";

/** Where the previous page of due grants stopped: (due_at, request_id), the order of the partial index. */
export interface DueCursor {
  dueAt: number;
  requestId: string;
}

export async function getGrant(db: Kysely<Database>, requestId: string): Promise<GrantRecord | undefined> {
  const row = await db.selectFrom("grants").selectAll().where("request_id", "=", requestId).executeTakeFirst();
  return row ? toGrant(row) : undefined;
}

/** The grant rows' read side: lookups and the queues the sweep, the timer and reminders work from. */
export class GrantReads {
  constructor(protected readonly engine: Engine) {}

  protected get db(): Kysely<Database> {
    return this.engine.reads;
  }

  get(requestId: string): Promise<GrantRecord | undefined> {
    return getGrant(this.db, requestId);
  }

  /** The grants of a person's active requests, in one query (`/jit list` and App Home). */
  async ofActiveRequests(requesterId: string): Promise<Map<string, GrantRecord>> {
    const rows = await this.db
      .selectFrom("grants as g")
      .innerJoin("requests as r", "r.id", "g.request_id")
      .selectAll("g")
      .where("r.requester_id", "=", requesterId)
      .where("r.status", "=", "active")
      .execute();
    return new Map(rows.map((row) => [row.request_id, toGrant(row)]));
  }

  async due(now: Date, limit: number): Promise<GrantRecord[]> {
    const rows = await this.db
      .selectFrom("grants")
      .selectAll()
      .where("status", "=", "active")
      .where("due_at", "<=", now.getTime())
      .orderBy("due_at")
      .orderBy("request_id")
      .limit(limit)
      .execute();
    return rows.map(toGrant);
  }

  /**
   * One page of due grants in index order, after `after`. A sweep pages with this so it visits each
   * due grant at most once however many there are, and a grant it cannot finish (in flight
   * elsewhere, or failing) neither stops the sweep nor makes it loop.
   */
  async duePage(
    now: Date,
    limit: number,
    after?: DueCursor,
  ): Promise<{ grants: GrantRecord[]; next: DueCursor | undefined }> {
    let query = this.db
      .selectFrom("grants")
      .selectAll()
      .where("status", "=", "active")
      .where("due_at", "<=", now.getTime());
    if (after) {
      query = query.where(({ eb, refTuple, tuple }) =>
        eb(refTuple("due_at", "request_id"), ">", tuple(after.dueAt, after.requestId)),
      );
    }
    const rows = await query.orderBy("due_at").orderBy("request_id").limit(limit).execute();
    const last = rows.at(-1);
    return {
      grants: rows.map(toGrant),
      next: last && rows.length === limit ? { dueAt: last.due_at, requestId: last.request_id } : undefined,
    };
  }

  async nextDueAt(): Promise<Date | undefined> {
    const row = await this.db
      .selectFrom("grants")
      .select(({ fn }) => fn.min("due_at").as("at"))
      .where("status", "=", "active")
      .executeTakeFirst();
    return row?.at === null || row?.at === undefined ? undefined : new Date(row.at);
  }

  /**
   * Active grants ending in (now, before] whose requester has not been reminded yet. Overdue grants
   * (a revoke still failing) are left out: they would never be reminded, and a thousand of them
   * would fill the page and starve everyone else's reminder. For a grant that is neither overdue
   * nor ending early, due_at equals expires_at, so the partial index on due_at finds them.
   */
  async needingReminder(before: Date, now: Date): Promise<GrantRecord[]> {
    const rows = await this.db
      .selectFrom("grants")
      .selectAll()
      .where("status", "=", "active")
      .where("due_at", "<=", before.getTime())
      .where("expires_at", "<=", before.getTime())
      .where("expires_at", ">", now.getTime())
      .where("reminder_sent_at", "is", null)
      .where("end_reason", "is", null)
      .orderBy("due_at")
      .limit(1000)
      .execute();
    return rows.map(toGrant);
  }

  /**
   * Grants whose provider call was interrupted. With `claimableBy`, only those no other live
   * replica holds: unleased, leased by this replica (an earlier life of it), or lease lapsed.
   */
  async inFlight(claimableBy?: { owner: string; now: Date }): Promise<GrantRecord[]> {
    let query = this.db.selectFrom("grants").selectAll().where("status", "=", "granting");
    if (claimableBy) {
      query = query.where((eb) =>
        eb.or([
          eb("lease_owner", "is", null),
          eb("lease_owner", "=", claimableBy.owner),
          eb("lease_until", "<=", claimableBy.now.getTime()),
        ]),
      );
    }
    return (await query.execute()).map(toGrant);
  }

  /**
   * Active grants whose person was never sent their DM (the replica that granted stopped first, or
   * Slack was down), granted at or before `grantedBy`.
   */
  async untold(grantedBy: Date, limit: number): Promise<GrantRecord[]> {
    const rows = await this.db
      .selectFrom("grants")
      .selectAll()
      .where("status", "=", "active")
      .where("dm_ts", "is", null)
      .where("end_reason", "is", null)
      .where("granted_at", "<=", grantedBy.getTime())
      .orderBy("granted_at")
      .limit(limit)
      .execute();
    return rows.map(toGrant);
  }

  /**
   * Grants that failed between `since` and `until` (by their request's last change) whose person was
   * never told: the replica that failed them stopped before its DM, or Slack lost it.
   */
  async untoldFailures(since: Date, until: Date, limit: number): Promise<GrantRecord[]> {
    const rows = await this.db
      .selectFrom("grants")
      .innerJoin("requests", "requests.id", "grants.request_id")
      .selectAll("grants")
      .where("grants.status", "=", "failed")
      .where("grants.dm_ts", "is", null)
      .where("requests.status", "=", "failed")
      .where("requests.updated_at", ">=", since.getTime())
      .where("requests.updated_at", "<=", until.getTime())
      .orderBy("requests.updated_at")
      .limit(limit)
      .execute();
    return rows.map(toGrant);
  }

  /**
   * Grants ended within `ended` whose person was never told (their replica stopped between the end
   * and the telling, or Slack failed it), oldest end first. An end whose notice a replica claimed at
   * or after `claimedBefore` is left out: one that keeps failing waits for its claim to go stale
   * and never fills the page ahead of the others.
   */
  async untoldEnds(ended: { since: Date; until: Date }, claimedBefore: Date, limit: number): Promise<GrantRecord[]> {
    return (await untoldEndsQuery(this.db, ended, claimedBefore, limit).execute()).map(toGrant);
  }

  async active(): Promise<GrantRecord[]> {
    const rows = await this.db
      .selectFrom("grants")
      .selectAll()
      .where("status", "=", "active")
      .orderBy("expires_at")
      .execute();
    return rows.map(toGrant);
  }
}

/**
 * The partial index grants_end_untold holds only untold ends, by end time: an end told long ago is
 * not in it, and one never told (its person cannot be reached) is past `since`, so a heartbeat
 * reads a few index entries however many grants ever ended. The claim is the row claimMessage
 * writes for `ended:<request id>` (src/grants/lease.ts).
 */
export function untoldEndsQuery(
  db: Kysely<Database>,
  ended: { since: Date; until: Date },
  claimedBefore: Date,
  limit: number,
) {
  return db
    .selectFrom("grants")
    .leftJoin("slack_deliveries as claim", (join) =>
      join.on(sql<boolean>`claim.id = ${sql.lit(ENDED_CLAIM_PREFIX)} || grants.request_id`),
    )
    .selectAll("grants")
    .where("grants.status", "=", "ended")
    .where("grants.ended_told_at", "is", null)
    .where("grants.ended_at", ">=", ended.since.getTime())
    .where("grants.ended_at", "<=", ended.until.getTime())
    .where((eb) => eb.or([eb("claim.at", "is", null), eb("claim.at", "<", claimedBefore.getTime())]))
    .orderBy("grants.ended_at")
    .limit(limit);
}
