import type { Kysely } from "kysely";
import type { Clock } from "../domain/clock.js";
import { type AuditEvent, auditHead, auditTrail, GENESIS, rowVerifies, verifyAudit } from "./audit.js";
import { type AuditAnchor, signAnchor } from "./audit-anchor.js";
import { BreakGlassRepo } from "./break-glass.js";
import type { ChangeListener, EngineKind } from "./engine.js";
import { StoreRefusal } from "./errors.js";
import { FindingsRepo } from "./findings.js";
import { GrantRepo } from "./grants.js";
import { type HealthTimings, reportingErrors, type StoreHealth } from "./health.js";
import { type Opened, openPostgresEngine, openSqlite } from "./open.js";
import { isPostgresUrl, postgresTarget } from "./postgres.js";
import { ReplicaFacts, type ReplicaSeen } from "./replicas.js";
import { RequestRepo } from "./requests.js";
import type { Database } from "./schema.js";
import { SharedState } from "./shared-state.js";
import { StepUpRepo } from "./step-ups.js";

export type { AuditAnchor } from "./audit-anchor.js";
export type { BreakGlassUse } from "./break-glass.js";
export type { Change, ChangeKind, EngineKind } from "./engine.js";
export { ExclusiveTimeout } from "./exclusive.js";
export type { StoreHealth } from "./health.js";
export { type DatabaseInspection, inspectDatabase } from "./inspect.js";
export { migrate, openForReading, type StoreReader } from "./reader.js";
export type { ReplicaSeen } from "./replicas.js";
export type { PendingStepUp, StepUpClaim } from "./step-ups.js";

export interface StoreOptions {
  /** JITBOT_AUDIT_KEY: audit rows are HMAC-SHA256 with it, so the database alone cannot re-forge them. */
  auditKey?: string;
  /** When the key is first used, the row that says so is stamped with this time. */
  now?: () => Date;
  health?: Partial<HealthTimings>;
  /** PostgreSQL: asked for each new connection's password (Entra or IAM tokens); else the URL's. */
  password?: () => Promise<string>;
  /** PostgreSQL: pooled connections per replica (default 10). */
  poolSize?: number;
  /** The clock `exclusive` times its waits with (default: the system clock). */
  clock?: Clock;
  /** How long `exclusive` waits for a key held elsewhere before giving up (default 30 s). */
  exclusiveWaitMs?: number;
}

/**
 * The bot's durable state. `location` chooses the engine: a postgres:// URL is PostgreSQL, shared
 * by any number of replicas; anything else is a SQLite file, one process at a time.
 */
export class Store {
  readonly requests: RequestRepo;
  readonly grants: GrantRepo;
  readonly findings: FindingsRepo;
  /** Approvals waiting for their approver's sign-in (approval.stepUp). */
  readonly stepUps: StepUpRepo;
  readonly breakGlass: BreakGlassRepo;
  readonly engine: EngineKind;
  private readonly facts: ReplicaFacts;
  private readonly shared: SharedState;

  private constructor(
    private readonly opened: Opened,
    /** Where the data lives, safe to log: the file, or the URL with its password masked. */
    private readonly where: string,
  ) {
    const { engine, monitor } = opened;
    const observe = (error: unknown) => monitor.observe(error);
    this.engine = engine.kind;
    this.requests = reportingErrors(new RequestRepo(engine), observe);
    this.grants = reportingErrors(new GrantRepo(engine), observe);
    this.findings = reportingErrors(new FindingsRepo(engine), observe);
    this.stepUps = reportingErrors(new StepUpRepo(engine), observe);
    this.breakGlass = reportingErrors(new BreakGlassRepo(engine), observe);
    this.facts = reportingErrors(new ReplicaFacts(engine), observe);
    this.shared = reportingErrors(new SharedState(engine), observe);
  }

  /**
   * Opens and migrates the store. SQLite: creates the file privately and takes its one-process lock
   * first. PostgreSQL: migrates once under an advisory lock and starts listening for changes.
   * Throws StoreRefusal with one sentence.
   */
  static async open(location: string, options: StoreOptions = {}): Promise<Store> {
    if (!isPostgresUrl(location) && /^[a-z][a-z0-9+.-]*:\/\//i.test(location)) {
      throw new StoreRefusal(
        "DATABASE_URL_INVALID",
        `the database URL must start with postgres:// or postgresql:// (got ${location.split(":")[0]}://…)`,
      );
    }
    const auditKey = options.auditKey ? Buffer.from(options.auditKey, "utf8") : undefined;
    const settings = { ...options, auditKey };
    const opened = isPostgresUrl(location)
      ? await openPostgresEngine(location, settings)
      : openSqlite(location, settings);
    const store = new Store(opened, isPostgresUrl(location) ? postgresTarget(location).redacted : location);
    try {
      await store.prepareAuditKey(options);
    } catch (error) {
      await store.close();
      throw error;
    }
    return store;
  }

  /**
   * A keyed chain must go on keyed with the same key: refuse to start without it or with another
   * one (every later row would break the chain). The first start with a key writes a keyed row, so
   * a chain re-forged entirely unkeyed cannot pass for one that never had a key.
   */
  private async prepareAuditKey(options: StoreOptions): Promise<void> {
    const key = this.opened.engine.auditKey;
    const head = await auditHead(this.kysely);
    if (head?.scheme === "hmac-sha256") {
      if (!key) {
        throw new StoreRefusal(
          "AUDIT_KEY_MISSING",
          "the audit log is keyed but JITBOT_AUDIT_KEY is not set; set it to the key the log was written with",
        );
      }
      if (!rowVerifies(head, key)) {
        throw new StoreRefusal(
          "AUDIT_KEY_MISMATCH",
          `JITBOT_AUDIT_KEY is not the key the audit log was written with (event ${head.seq} does not verify with it)`,
        );
      }
    } else if (key) {
      await this.audit({
        at: options.now?.() ?? new Date(),
        actor: "jitbot",
        action: "audit.keyed",
        detail: { after: head?.seq ?? 0 },
      });
    }
  }

  /**
   * For tests and tools that must read or tamper with rows directly, on either engine. The bot's
   * own code goes through the repositories.
   */
  describe(): string {
    return this.where;
  }

  get kysely(): Kysely<Database> {
    return this.opened.engine.db;
  }

  async audit(event: AuditEvent): Promise<void> {
    try {
      await this.opened.engine.write(async (tx) => tx.audit(event));
    } catch (error) {
      this.opened.monitor.observe(error);
      throw error;
    }
  }

  verifyAudit(anchors: readonly AuditAnchor[] = []) {
    return verifyAudit(this.kysely, { key: this.opened.engine.auditKey, anchors });
  }

  /** The chain's newest row, signed with the audit key when there is one: publish it elsewhere. */
  async auditAnchor(): Promise<AuditAnchor> {
    const head = await auditHead(this.kysely);
    return signAnchor({ seq: head?.seq ?? 0, hash: head?.hash ?? GENESIS }, this.opened.engine.auditKey);
  }

  /**
   * Every audit row about one request, oldest first. PostgreSQL: events another write committed and
   * is still linking are linked first, so what a change's outcome shows is in its trail.
   */
  async auditTrail(requestId: string) {
    await this.opened.engine.linkAudits();
    return auditTrail(this.kysely, requestId);
  }

  /**
   * Calls `listener` after each committed change (grant activated, extended, ending, ended, revoke
   * failed; request created or decided), made by this replica or, on PostgreSQL, any other. A
   * `resync` means notices may have been missed (the LISTEN connection dropped): re-read.
   */
  onChange(listener: ChangeListener): () => void {
    return this.opened.engine.onChange(listener);
  }

  /**
   * For a message exactly one replica sends (a grant's DM): true when this caller holds the claim,
   * taken over from one older than `staleAfterMs` whose replica stopped before sending.
   */
  claimMessage(id: string, at: Date, staleAfterMs: number): Promise<boolean> {
    return this.facts.claimMessage(id, at, staleAfterMs);
  }

  /** True the first time any replica sees this Slack delivery (event_id or envelope_id). */
  claimDelivery(id: string, at: Date): Promise<boolean> {
    return this.facts.claimDelivery(id, at);
  }

  /**
   * True for the one replica that claims the periodic job `name` for `period` first (e.g. the
   * audit anchor for a UTC day): the others skip that period's run.
   */
  claimJob(name: string, period: string, owner: string, at: Date): Promise<boolean> {
    return this.shared.claimJob(name, period, owner, at);
  }

  /** `userId` opened App Home at `at`; every replica refreshes it after changes that concern them. */
  homeOpened(userId: string, at: Date): Promise<void> {
    return this.shared.homeOpened(userId, at);
  }

  /** Who opened App Home in the 30 days before `now`, on any replica. */
  homeVisitors(now: Date): Promise<string[]> {
    return this.shared.homeVisitors(now);
  }

  /**
   * Runs `work` while no other task of any replica runs work under the same key, and releases the
   * key however `work` ends. PostgreSQL: a session advisory lock; SQLite (one process): in-process.
   * Waiting longer than `exclusiveWaitMs` for the key rejects with ExclusiveTimeout.
   */
  exclusive<T>(key: string, work: () => Promise<T>): Promise<T> {
    return this.opened.exclusive(key, work);
  }

  databaseTime(): Promise<Date> {
    return this.facts.databaseTime();
  }

  heartbeat(replicaId: string, localNow: Date): Promise<void> {
    return this.facts.heartbeat(replicaId, localNow);
  }

  /**
   * Links audit events still queued into the chain: those of a replica that died between its commit
   * and its link pass, or whose pass failed. False when the pass failed (they stay queued).
   */
  linkAudits(): Promise<boolean> {
    return this.opened.engine.linkAudits();
  }

  replicas(since: Date): Promise<ReplicaSeen[]> {
    return this.facts.replicas(since);
  }

  /** Cheap enough for every readiness probe: answered from memory, probes run in the background. */
  health(): StoreHealth {
    return this.opened.monitor.health();
  }

  /** Runs the corrupted-page check (SQLite) or the probe (PostgreSQL) now rather than at its next turn. */
  checkIntegrity(): Promise<void> {
    return this.opened.monitor.checkIntegrity();
  }

  isOpen(): boolean {
    return this.opened.isOpen();
  }

  /** What /metrics reports of the store: requests by status and grants active now. */
  async gauges(): Promise<{ requestsByStatus: Record<string, number>; activeGrants: number }> {
    const rows = await this.kysely
      .selectFrom("requests")
      .select(({ fn }) => ["status", fn.countAll<number>().as("n")])
      .groupBy("status")
      .execute();
    const active = await this.kysely
      .selectFrom("grants")
      .select(({ fn }) => fn.countAll<number>().as("n"))
      .where("status", "=", "active")
      .executeTakeFirst();
    return {
      requestsByStatus: Object.fromEntries(rows.map((row) => [row.status, Number(row.n)])),
      activeGrants: Number(active?.n ?? 0),
    };
  }

  async close(): Promise<void> {
    this.opened.monitor.stop();
    await this.opened.close();
  }
}
