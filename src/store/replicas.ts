import { sql } from "kysely";
import type { Engine } from "./engine.js";

/** Slack retries an Events API delivery for about an hour at most; older ids cannot come back. */
const DELIVERY_TTL_MS = 3_600_000;
const PRUNE_EVERY_MS = 60_000;

export interface ReplicaSeen {
  replicaId: string;
  /** The database's clock when it last beat. */
  seenAt: Date;
  /** Its clock minus the database's, in ms, at that beat (positive: the replica runs ahead). */
  offsetMs: number;
}

/** Facts shared by every replica: Slack deliveries already taken, and who is alive with what clock. */
export class ReplicaFacts {
  private lastPrune = 0;

  constructor(private readonly engine: Engine) {}

  /**
   * True the first time a delivery id is seen by any replica (an Events API `event_id`, a Socket
   * Mode `envelope_id`). Ids past Slack's retry window are pruned at most once a minute.
   */
  /**
   * Claims `id` for a message only one replica may send, taking over a claim older than
   * `staleAfterMs` (its replica stopped before sending). True when this caller holds it now.
   */
  async claimMessage(id: string, at: Date, staleAfterMs: number): Promise<boolean> {
    const claimed = await this.engine.db
      .insertInto("slack_deliveries")
      .values({ id, at: at.getTime() })
      .onConflict((conflict) =>
        conflict
          .column("id")
          .doUpdateSet({ at: at.getTime() })
          .where("slack_deliveries.at", "<", at.getTime() - staleAfterMs),
      )
      .executeTakeFirst();
    return claimed.numInsertedOrUpdatedRows === 1n;
  }

  async claimDelivery(id: string, at: Date): Promise<boolean> {
    const db = this.engine.db;
    if (at.getTime() - this.lastPrune >= PRUNE_EVERY_MS) {
      this.lastPrune = at.getTime();
      await db
        .deleteFrom("slack_deliveries")
        .where("at", "<", at.getTime() - DELIVERY_TTL_MS)
        .execute();
    }
    const claimed = await db
      .insertInto("slack_deliveries")
      .values({ id, at: at.getTime() })
      .onConflict((conflict) => conflict.column("id").doNothing())
      .executeTakeFirst();
    return claimed.numInsertedOrUpdatedRows === 1n;
  }

  /** The database server's clock (SQLite: this machine's, read by SQLite). */
  async databaseTime(): Promise<Date> {
    const now =
      this.engine.kind === "postgres"
        ? sql<number>`CAST(EXTRACT(EPOCH FROM clock_timestamp()) * 1000 AS BIGINT)`
        : sql<number>`CAST((julianday('now') - 2440587.5) * 86400000 AS INTEGER)`;
    const row = await sql<{ now: number | string }>`SELECT ${now} AS now`.execute(this.engine.db);
    return new Date(Number(row.rows[0]?.now));
  }

  /** Records that `replicaId` is alive, and how far its clock (`localNow`) is from the database's. */
  async heartbeat(replicaId: string, localNow: Date): Promise<void> {
    const seenAt = (await this.databaseTime()).getTime();
    const offset = localNow.getTime() - seenAt;
    await this.engine.db
      .insertInto("replicas")
      .values({ id: replicaId, seen_at: seenAt, offset_ms: offset })
      .onConflict((conflict) => conflict.column("id").doUpdateSet({ seen_at: seenAt, offset_ms: offset }))
      .execute();
  }

  /** Replicas that beat at or after `since` (database time), ordered by id. */
  async replicas(since: Date): Promise<ReplicaSeen[]> {
    const rows = await this.engine.db
      .selectFrom("replicas")
      .selectAll()
      .where("seen_at", ">=", since.getTime())
      .orderBy("id")
      .execute();
    return rows.map((row) => ({ replicaId: row.id, seenAt: new Date(row.seen_at), offsetMs: row.offset_ms }));
  }
}
