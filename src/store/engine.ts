import type { Kysely } from "kysely";
import type { AccessRequest } from "../domain/request.js";
import { type AuditEvent, appendAudits } from "./audit.js";
import { AuditChainer, queueAndNotify } from "./audit-chainer.js";
import { toRequest } from "./rows.js";
import type { Database } from "./schema.js";

export type EngineKind = "sqlite" | "postgres";

/** What changed, for the scheduler of every replica; `resync`: notifications may have been missed. */
export type ChangeKind =
  | "request.created"
  | "request.decided"
  | "grant.activated"
  | "grant.extended"
  /** A break-glass grant was confirmed: its due time moved from the deadline to its end. */
  | "grant.confirmed"
  | "grant.end_requested"
  | "grant.rollback_pending"
  | "grant.revoke_failed"
  | "grant.ended"
  | "resync";

export interface Change {
  requestId: string;
  kind: ChangeKind;
}

export type ChangeListener = (change: { requestId: string; kind: string }) => void;

/**
 * One writing transaction. Audit events and change notices are collected and written last, so the
 * audit chain's lock is the last lock any transaction takes (no deadlock can wait on it) and a
 * notice leaves only with the commit.
 */
export class Tx {
  readonly audits: AuditEvent[] = [];
  readonly changes: Change[] = [];
  constructor(readonly db: Kysely<Database>) {}

  audit(event: AuditEvent): void {
    this.audits.push(event);
  }

  changed(requestId: string, kind: ChangeKind): void {
    this.changes.push({ requestId, kind });
  }
}

/** The dialect-specific parts of writing; everything else is one query for both engines. */
export interface EngineSpec {
  kind: EngineKind;
  db: Kysely<Database>;
  auditKey: Buffer | undefined;
  /** A pool for plain reads (see Engine.reads); the writing one when absent. */
  reads?: Kysely<Database>;
  /** PostgreSQL: the advisory lock key that serialises audit appends, and the NOTIFY channel. */
  postgres?: { auditLock: string; channel: string };
}

export class Engine {
  readonly kind: EngineKind;
  readonly db: Kysely<Database>;
  readonly auditKey: Buffer | undefined;
  private readonly postgres: EngineSpec["postgres"];
  private readonly listeners = new Set<ChangeListener>();
  private readonly chainer: AuditChainer | undefined;

  /**
   * Where reads outside a transaction go. PostgreSQL: a small pool of its own, so an answer inside
   * Slack's 3 s (`/jit list`, App Home) never queues behind writes waiting on the audit chain's lock.
   * SQLite: the one connection.
   */
  readonly reads: Kysely<Database>;

  constructor(spec: EngineSpec) {
    this.kind = spec.kind;
    this.db = spec.db;
    this.reads = spec.reads ?? spec.db;
    this.auditKey = spec.auditKey;
    this.postgres = spec.postgres;
    this.chainer = spec.postgres ? new AuditChainer(spec.db, spec.postgres.auditLock, spec.auditKey) : undefined;
  }

  /**
   * Links queued audit events into the chain (PostgreSQL; nothing to do on SQLite). A failure leaves
   * them queued, their changes committed: it is not the write's failure, and the next pass (the
   * heartbeat's at the latest) links them.
   */
  async linkAudits(): Promise<boolean> {
    if (!this.chainer) return true;
    try {
      await this.chainer.link();
      return true;
    } catch {
      return false;
    }
  }

  /**
   * Runs `work` as one transaction. PostgreSQL: audit events are queued in it and linked into the one
   * chain by a pass of the chainer after commit, which this awaits (see AuditChainer); notices are
   * NOTIFY in the same transaction, delivered on commit. SQLite: one writer appends to the chain in
   * the transaction and emits notices here after commit.
   */
  async write<T>(work: (tx: Tx) => Promise<T>): Promise<T> {
    const { value, changes, audited } = await this.db.transaction().execute(async (trx) => {
      const tx = new Tx(trx);
      const result = await work(tx);
      if (this.postgres) await queueAndNotify(trx, this.postgres.channel, tx);
      else if (tx.audits.length > 0) await appendAudits(trx, tx.audits, this.auditKey);
      return { value: result, changes: tx.changes, audited: tx.audits.length > 0 };
    });
    if (!this.postgres) for (const change of changes) this.emit(change);
    if (audited) await this.linkAudits();
    return value;
  }

  /**
   * Reads the request row, and on PostgreSQL locks it (SELECT … FOR UPDATE): every transaction
   * about a request takes this first, so two replicas deciding or ending it queue up rather than
   * interleave, and always in the same order (request, then grant, then the audit chain).
   * SQLite has one writer at a time: the transaction itself is the lock.
   */
  async lockRequest(tx: Tx, requestId: string): Promise<AccessRequest | undefined> {
    let query = tx.db.selectFrom("requests").selectAll().where("id", "=", requestId);
    if (this.kind === "postgres") query = query.forUpdate();
    const row = await query.executeTakeFirst();
    return row ? toRequest(row) : undefined;
  }

  onChange(listener: ChangeListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  emit(change: { requestId: string; kind: string }): void {
    for (const listener of [...this.listeners]) {
      try {
        listener(change);
      } catch {
        // A listener's failure is its own; the write it reports has committed.
      }
    }
  }
}
