import { type Async, asyncFacade } from "./async.js";
import { type AuditEvent, appendAudit, auditHead, GENESIS, rowVerifies, useAuditKey, verifyAudit } from "./audit.js";
import { type AuditAnchor, signAnchor } from "./audit-anchor.js";
import { type Db, openDatabase } from "./db.js";
import { StoreRefusal } from "./errors.js";
import { createPrivately } from "./files.js";
import { FindingsRepo } from "./findings.js";
import { GrantRepo } from "./grants.js";
import { HealthMonitor, type HealthTimings, reportingErrors, type StoreHealth } from "./health.js";
import { acquireStoreLock, type StoreLock } from "./lock.js";
import { RequestRepo } from "./requests.js";

export type { StoreHealth } from "./health.js";

export interface StoreOptions {
  /** JITBOT_AUDIT_KEY: audit rows are HMAC-SHA256 with it, so the file alone cannot re-forge them. */
  auditKey?: string;
  /** When the key is first used, the row that says so is stamped with this time. */
  now?: () => Date;
  health?: Partial<HealthTimings>;
}

/** The bot's durable state: one SQLite file, one writer (this process). */
export class Store {
  readonly requests: Async<RequestRepo>;
  readonly grants: Async<GrantRepo>;
  readonly findings: Async<FindingsRepo>;
  private readonly monitor: HealthMonitor;
  private readonly auditKey: Buffer | undefined;

  constructor(
    readonly db: Db,
    options: StoreOptions & { file?: string } = {},
    private readonly lock?: StoreLock,
  ) {
    this.auditKey = options.auditKey ? Buffer.from(options.auditKey, "utf8") : undefined;
    useAuditKey(db, this.auditKey);
    this.monitor = new HealthMonitor(db, options.file ?? ":memory:", options.health);
    const observe = (error: unknown) => this.monitor.observe(error);
    const requests = reportingErrors(new RequestRepo(db), observe);
    this.requests = asyncFacade(requests);
    this.grants = asyncFacade(reportingErrors(new GrantRepo(db, requests), observe));
    this.findings = asyncFacade(new FindingsRepo(db));
  }

  /**
   * Opens (creating privately) the file and takes its one-process lock first, so a second process
   * is refused before it migrates or reconciles anything. Throws StoreRefusal with one sentence.
   */
  static async open(file: string, options: StoreOptions = {}): Promise<Store> {
    if (file === ":memory:") return Store.prepared(new Store(openDatabase(file), options), options);
    createPrivately(file);
    const lock = acquireStoreLock(file);
    let db: Db | undefined;
    try {
      db = openDatabase(file);
      return Store.prepared(new Store(db, { ...options, file }, lock), options);
    } catch (error) {
      db?.close();
      lock.release();
      throw error;
    }
  }

  /**
   * A keyed chain must go on keyed with the same key: refuse to start without it or with another
   * one (every later row would break the chain). The first start with a key writes a keyed row, so
   * a chain re-forged entirely unkeyed cannot pass for one that never had a key.
   */
  private static prepared(store: Store, options: StoreOptions): Store {
    const head = auditHead(store.db);
    if (head?.scheme === "hmac-sha256") {
      if (!store.auditKey) {
        store.close();
        throw new StoreRefusal(
          "AUDIT_KEY_MISSING",
          "the audit log is keyed but JITBOT_AUDIT_KEY is not set; set it to the key the log was written with",
        );
      }
      if (!rowVerifies(head, store.auditKey)) {
        store.close();
        throw new StoreRefusal(
          "AUDIT_KEY_MISMATCH",
          `JITBOT_AUDIT_KEY is not the key the audit log was written with (event ${head.seq} does not verify with it)`,
        );
      }
    } else if (store.auditKey) {
      store.auditSync({
        at: options.now?.() ?? new Date(),
        actor: "jitbot",
        action: "audit.keyed",
        detail: { after: head?.seq ?? 0 },
      });
    }
    return store;
  }

  async audit(event: AuditEvent): Promise<void> {
    try {
      appendAudit(this.db, event);
    } catch (error) {
      this.monitor.observe(error);
      throw error;
    }
  }

  private auditSync(event: AuditEvent): void {
    appendAudit(this.db, event);
  }

  async verifyAudit(anchors: readonly AuditAnchor[] = []) {
    return verifyAudit(this.db, { key: this.auditKey, anchors });
  }

  /** The chain's newest row, signed with the audit key when there is one: publish it elsewhere. */
  async auditAnchor(): Promise<AuditAnchor> {
    const head = auditHead(this.db);
    return signAnchor({ seq: head?.seq ?? 0, hash: head?.hash ?? GENESIS }, this.auditKey);
  }

  /** Cheap enough for every readiness probe; see HealthMonitor. */
  health(): StoreHealth {
    return this.monitor.health();
  }

  /** Runs the corrupted-page check now rather than at its next turn. */
  checkIntegrity(): Promise<void> {
    return this.monitor.checkIntegrity();
  }

  isOpen(): boolean {
    return this.db.open;
  }

  /** What /metrics reports of the store: requests by status and grants active now. */
  async gauges(): Promise<{ requestsByStatus: Record<string, number>; activeGrants: number }> {
    const rows = this.db.prepare("SELECT status, COUNT(*) AS n FROM requests GROUP BY status").all() as {
      status: string;
      n: number;
    }[];
    const active = this.db.prepare("SELECT COUNT(*) AS n FROM grants WHERE status = 'active'").get() as { n: number };
    return { requestsByStatus: Object.fromEntries(rows.map((row) => [row.status, row.n])), activeGrants: active.n };
  }

  async close(): Promise<void> {
    this.monitor.stop();
    if (this.db.open) this.db.close();
    this.lock?.release();
  }
}
