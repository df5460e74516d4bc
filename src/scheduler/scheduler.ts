import cron, { type ScheduledTask } from "node-cron";
import type { Policy } from "../config/schema.js";
import type { Clock } from "../domain/clock.js";
import { findProfile } from "../domain/policy.js";
import type { GrantEngine } from "../grants/engine.js";
import { Reaper } from "../grants/reaper.js";
import type { ProviderRegistry } from "../grants/registry.js";
import type { Logger, Notifier } from "../service/ports.js";
import { ExclusiveTimeout, type Store } from "../store/index.js";
import { publishAuditAnchor } from "./audit-anchor.js";
import { postBreakGlassSummary } from "./break-glass-summary.js";
import { reportDrift } from "./drift.js";
import { ExpiryTimer } from "./expiry-timer.js";
import { type PeriodicJob, periodOf } from "./periods.js";
import { ReplicaDuties } from "./replica-duties.js";

export interface SchedulerDeps {
  store: Store;
  engine: GrantEngine;
  policy: Policy;
  clock: Clock;
  notifier: Notifier;
  providers: ProviderRegistry;
  logger: Logger;
  /** Whose heartbeat this is (leases, doctor's clock-skew report). */
  replicaId?: string;
  cron: boolean;
}

/** The time-based jobs, as one list: what runs when, and why. */
export type Job =
  | "sweep"
  | "reminders"
  | "approval-timeouts"
  | "drift"
  | "audit-anchor"
  | "reap"
  | "break-glass-summary";

/**
 * Ending access on time: a precise timer for the earliest expiry, a minute sweep as the safety
 * net (and once at start-up, before ready), plus reminders, approval time-outs, drift reports and
 * the orphan reaper (every 15 minutes, and once after start-up reconcile).
 */
export class Scheduler {
  startupSweepDone = false;
  /** The reaper pass started after start-up reconcile; it does not hold up readiness. */
  startupReap: Promise<void> = Promise.resolve();
  private readonly timer: ExpiryTimer;
  private readonly reaper: Reaper;
  private readonly tasks: ScheduledTask[] = [];
  private readonly duties: ReplicaDuties;
  private unsubscribe: (() => void) | undefined;

  constructor(private readonly deps: SchedulerDeps) {
    this.reaper = new Reaper(deps);
    this.duties = new ReplicaDuties(deps);
    this.timer = new ExpiryTimer(
      deps.clock,
      () => deps.store.grants.nextDueAt(),
      () => deps.engine.sweep(),
      (error) => deps.logger.error({ err: String(error) }, "expiry timer: sweep or re-read failed"),
    );
  }

  async start(): Promise<void> {
    // Another replica's grants, extensions and revokes move the earliest expiry too.
    this.unsubscribe = this.deps.store.onChange((change) => {
      if (change.kind.startsWith("grant.") || change.kind === "resync") void this.timer.rearm(); // never rejects
    });
    await this.deps.engine.reconcile();
    await this.run("sweep");
    this.startupSweepDone = true;
    await this.timer.rearm();
    this.duties.start();
    // A cloud call in transit at the crash may land after reconcile's roll-back: look for it now,
    // on every start (another replica's pass may have listed the cloud before it landed); the
    // reaper's lock keeps it from overlapping a pass of another replica.
    this.startupReap = this.run("reap");
    this.deps.engine.track(this.startupReap);
    // At start-up too, so a new deployment has an anchor before its first day is out; one a day
    // across replicas and restarts: not if one was already posted today.
    await this.runOncePerPeriod("audit-anchor");
    if (!this.deps.cron) return;
    const every = (expression: string, name: string, run: () => Promise<unknown>) =>
      this.tasks.push(cron.schedule(expression, run, { name, noOverlap: true }));
    // Every replica: each grant, reminder and time-out is claimed row by row in the store.
    every("* * * * *", "jitbot-minute", async () => {
      for (const job of ["sweep", "reminders", "approval-timeouts"] as const) await this.run(job);
    });
    // Once per period across replicas: whoever claims the period first.
    every("7 * * * *", "jitbot-drift", () => this.runOncePerPeriod("drift"));
    every("13 3 * * *", "jitbot-audit-anchor", () => this.runOncePerPeriod("audit-anchor"));
    every("*/15 * * * *", "jitbot-reaper", () => this.runOncePerPeriod("reap"));
    // Tried hourly, claimed once a week: a week whose Monday found every replica down still gets it.
    every("23 * * * *", "jitbot-break-glass-summary", () => this.runOncePerPeriod("break-glass-summary"));
  }

  /** Never rejects (see ExpiryTimer.rearm). */
  rearm(): Promise<void> {
    return this.timer.rearm();
  }

  /**
   * Runs a periodic job for the period the clock is in, unless a replica (this one included) has
   * already claimed that period: one anchor a day, one drift report an hour, one reaper pass a slot.
   */
  async runOncePerPeriod(job: PeriodicJob): Promise<boolean> {
    const { store, clock, logger, replicaId } = this.deps;
    const now = clock.now();
    const period = periodOf(job, now);
    let claimed: boolean;
    try {
      claimed = await store.claimJob(job, period, replicaId ?? "jitbot", now);
    } catch (error) {
      logger.error(
        { job, period, err: error instanceof Error ? error.message : String(error) },
        "scheduled job failed",
      );
      return false;
    }
    if (!claimed) {
      logger.debug({ job, period }, "scheduled job skipped: already run for this period");
      return false;
    }
    await this.run(job);
    return true;
  }

  /** Runs one job now; errors are logged, never thrown into cron. */
  async run(job: Job): Promise<void> {
    try {
      if (job === "sweep") await this.deps.engine.sweep();
      if (job === "reminders") await this.sendExpiryReminders();
      if (job === "approval-timeouts") await this.timeOutUndecided();
      if (job === "drift") await reportDrift(this.deps);
      if (job === "audit-anchor") await publishAuditAnchor(this.deps);
      if (job === "reap") await this.reap();
      if (job === "break-glass-summary") await postBreakGlassSummary(this.deps);
    } catch (error) {
      this.deps.logger.error(
        { job, err: error instanceof Error ? error.message : String(error) },
        "scheduled job failed",
      );
    }
    await this.timer.rearm();
  }

  /** One reaper pass at a time across replicas: two would race to remove and announce one orphan. */
  private async reap(): Promise<void> {
    try {
      await this.deps.store.exclusive("job:reap", () => this.reaper.run());
    } catch (error) {
      if (!(error instanceof ExclusiveTimeout)) throw error;
      this.deps.logger.info({ job: "reap" }, "reaper pass skipped: another replica's pass is still running");
    }
  }

  private async sendExpiryReminders(): Promise<void> {
    const { store, clock, notifier, policy } = this.deps;
    const now = clock.now();
    const soon = new Date(now.getTime() + policy.defaults.reminderBefore * 1000);
    for (const grant of await store.grants.needingReminder(soon, now)) {
      if (grant.expiresAt <= now || !(await store.grants.markReminderSent(grant.requestId, now))) continue;
      // A grant shorter than the reminder lead would be "ending soon" the moment it starts.
      const length = grant.expiresAt.getTime() - (grant.grantedAt ?? grant.startedAt).getTime();
      if (length <= policy.defaults.reminderBefore * 1000) continue;
      const request = await store.requests.mustGet(grant.requestId);
      const profile = findProfile(policy, request.profileId);
      if (profile) await notifier.expiryReminder(request, profile, grant);
    }
  }

  private async timeOutUndecided(): Promise<void> {
    const { store, clock, notifier, policy } = this.deps;
    const now = clock.now();
    const timeoutMs = policy.defaults.approvalTimeout * 1000;
    for (const request of await store.requests.listByStatus("pending", 5000)) {
      const profile = findProfile(policy, request.profileId);
      const age = now.getTime() - request.createdAt.getTime();
      if (age >= timeoutMs) {
        try {
          const closed = await store.requests.transition({
            id: request.id,
            from: "pending",
            event: "time_out",
            at: now,
            actor: "jitbot",
          });
          if (profile) await notifier.requestClosed(closed, profile);
        } catch {
          // Decided in the meantime: the guard kept exactly one outcome.
        }
      } else if (age >= timeoutMs / 2 && (await store.requests.markApprovalReminded(request.id, now)) && profile) {
        await notifier.approvalReminder(request, profile, new Date(request.createdAt.getTime() + timeoutMs));
      }
    }
  }

  stop(): void {
    this.duties.stop();
    this.unsubscribe?.();
    this.timer.stop();
    // node-cron's stop() only clears its own timer; nothing waits on it and it does not reject.
    for (const task of this.tasks) void task.stop();
  }
}
