import type { Engine } from "./engine.js";

/** Rows outlive their five minutes by a day, so a late or replayed link is told "expired" or "used". */
const STEP_UP_TTL_MS = 86_400_000;
const PRUNE_EVERY_MS = 3_600_000;

export interface PendingStepUp {
  state: string;
  requestId: string;
  approverId: string;
  /** The approval message clicked, for the decision to update it (see AccessService.decide). */
  clicked: { channel: string; ts: string } | undefined;
  createdAt: Date;
  expiresAt: Date;
  usedAt: Date | undefined;
}

/** What taking a state for its callback found: only `claimed` may go on to the token exchange. */
export type StepUpClaim =
  | { kind: "claimed"; stepUp: PendingStepUp }
  | { kind: "used" | "expired"; stepUp: PendingStepUp }
  | { kind: "unknown" };

/**
 * Approvals waiting for their approver's sign-in, in the database so that any replica can finish a
 * sign-in another started. A state is taken once (a guarded UPDATE), whichever replica gets there.
 */
export class StepUpRepo {
  private lastPrune = Number.NEGATIVE_INFINITY;

  constructor(private readonly engine: Engine) {}

  async create(input: Omit<PendingStepUp, "usedAt">): Promise<void> {
    const db = this.engine.db;
    const at = input.createdAt.getTime();
    if (at - this.lastPrune >= PRUNE_EVERY_MS) {
      this.lastPrune = at;
      await db
        .deleteFrom("step_ups")
        .where("created_at", "<", at - STEP_UP_TTL_MS)
        .execute();
    }
    await db
      .insertInto("step_ups")
      .values({
        state: input.state,
        request_id: input.requestId,
        approver_id: input.approverId,
        clicked_channel: input.clicked?.channel ?? null,
        clicked_ts: input.clicked?.ts ?? null,
        created_at: at,
        expires_at: input.expiresAt.getTime(),
      })
      .execute();
  }

  async get(state: string): Promise<PendingStepUp | undefined> {
    const row = await this.engine.db.selectFrom("step_ups").selectAll().where("state", "=", state).executeTakeFirst();
    if (!row) return undefined;
    return {
      state: row.state,
      requestId: row.request_id,
      approverId: row.approver_id,
      clicked:
        row.clicked_channel !== null && row.clicked_ts !== null
          ? { channel: row.clicked_channel, ts: row.clicked_ts }
          : undefined,
      createdAt: new Date(Number(row.created_at)),
      expiresAt: new Date(Number(row.expires_at)),
      usedAt: row.used_at === null ? undefined : new Date(Number(row.used_at)),
    };
  }

  /** Takes `state` for its one callback: unused and not expired at `at`, on any replica, exactly once. */
  async claim(state: string, at: Date): Promise<StepUpClaim> {
    const taken = await this.engine.db
      .updateTable("step_ups")
      .set({ used_at: at.getTime() })
      .where("state", "=", state)
      .where("used_at", "is", null)
      .where("expires_at", ">", at.getTime())
      .executeTakeFirst();
    const stepUp = await this.get(state);
    if (!stepUp) return { kind: "unknown" };
    if (taken.numUpdatedRows === 1n) return { kind: "claimed", stepUp };
    // Used wins over expired: a replay is a replay, however late.
    return { kind: stepUp.usedAt !== undefined ? "used" : "expired", stepUp };
  }
}
