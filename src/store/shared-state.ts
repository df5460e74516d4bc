import type { Engine } from "./engine.js";

/** Long past any period a job claims (a day at most), short enough to keep the table a few rows. */
const JOB_RUN_TTL_MS = 7 * 86_400_000;
/** Someone who has not opened App Home for this long stops getting it refreshed, until they open it again. */
export const HOME_VISITOR_TTL_MS = 30 * 86_400_000;
const PRUNE_EVERY_MS = 3_600_000;

/**
 * What every replica must agree on beyond requests and grants: which periodic job ran for which
 * period, and who opened App Home. Old rows are pruned by whichever replica writes, at most hourly.
 */
export class SharedState {
  private lastJobPrune = Number.NEGATIVE_INFINITY;
  private lastVisitorPrune = Number.NEGATIVE_INFINITY;

  constructor(private readonly engine: Engine) {}

  /**
   * True for the one caller, on any replica, that claims `name` for `period` first (insert or
   * nothing on the primary key); everyone else gets false and skips the run.
   */
  async claimJob(name: string, period: string, owner: string, at: Date): Promise<boolean> {
    const db = this.engine.db;
    if (at.getTime() - this.lastJobPrune >= PRUNE_EVERY_MS) {
      this.lastJobPrune = at.getTime();
      await db
        .deleteFrom("job_runs")
        .where("at", "<", at.getTime() - JOB_RUN_TTL_MS)
        .execute();
    }
    const claimed = await db
      .insertInto("job_runs")
      .values({ name, period, owner, at: at.getTime() })
      .onConflict((conflict) => conflict.columns(["name", "period"]).doNothing())
      .executeTakeFirst();
    return claimed.numInsertedOrUpdatedRows === 1n;
  }

  async homeOpened(userId: string, at: Date): Promise<void> {
    await this.engine.db
      .insertInto("home_visitors")
      .values({ user_id: userId, opened_at: at.getTime() })
      .onConflict((conflict) => conflict.column("user_id").doUpdateSet({ opened_at: at.getTime() }))
      .execute();
  }

  /** Everyone who opened App Home, on any replica, in the 30 days before `now`; older visits are forgotten. */
  async homeVisitors(now: Date): Promise<string[]> {
    const db = this.engine.db;
    const since = now.getTime() - HOME_VISITOR_TTL_MS;
    if (now.getTime() - this.lastVisitorPrune >= PRUNE_EVERY_MS) {
      this.lastVisitorPrune = now.getTime();
      await db.deleteFrom("home_visitors").where("opened_at", "<", since).execute();
    }
    const rows = await db
      .selectFrom("home_visitors")
      .select("user_id")
      .where("opened_at", ">=", since)
      .orderBy("user_id")
      .execute();
    return rows.map((row) => row.user_id);
  }
}
