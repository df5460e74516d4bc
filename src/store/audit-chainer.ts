import { type Kysely, sql, type Transaction } from "kysely";
import { type AuditEvent, appendEntries, auditEntry } from "./audit.js";
import type { Database } from "./schema.js";

/** Rows linked per transaction: one lock, one head read and one INSERT for all of them. */
const BATCH = 2_000;

/**
 * PostgreSQL: a transaction's audit events queued (no lock, so the change commits at its own pace)
 * and its change notices sent (NOTIFY is delivered at commit) in one statement: one round trip
 * instead of two on every audited write. The events keep their order: audit_pending's ids follow
 * the ordinality.
 */
export async function queueAndNotify(
  trx: Transaction<Database>,
  channel: string,
  tx: { audits: AuditEvent[]; changes: readonly unknown[] },
): Promise<void> {
  const payloads = tx.changes.map((change) => JSON.stringify(change));
  if (tx.audits.length === 0) {
    if (payloads.length > 0)
      await sql`SELECT pg_notify(${channel}, p) FROM unnest(${payloads}::text[]) AS p`.execute(trx);
    return;
  }
  const entries = tx.audits.map(auditEntry);
  await sql`WITH queued AS (
      INSERT INTO audit_pending (at, actor, action, request_id, detail)
      SELECT at, actor, action, request_id, detail
      FROM unnest(${entries.map((e) => e.at)}::bigint[], ${entries.map((e) => e.actor)}::text[],
                  ${entries.map((e) => e.action)}::text[], ${entries.map((e) => e.request_id)}::text[],
                  ${entries.map((e) => e.detail)}::text[])
        WITH ORDINALITY AS e(at, actor, action, request_id, detail, n)
      ORDER BY n
    )
    SELECT pg_notify(${channel}, p) FROM unnest(${payloads}::text[]) AS p`.execute(trx);
}

/**
 * Links queued audit events into the one hash chain (PostgreSQL). The chain's append must be
 * serialised across every replica; serialising each audited write on it (the advisory lock held
 * from the head read to the commit) made the lock the ceiling of every replica together, about a
 * hundred writes a second on two loaded cores. Here writes queue their events in their own
 * transaction, and a chainer takes the lock once per batch: the lock changes hands per batch, not
 * per write.
 *
 * `link()` resolves once a pass that began after the call has run, so a write that awaits it finds
 * its events in the chain, as before. Passes in one process never overlap; calls during a pass share
 * the next one. A pass that fails leaves the events queued (their changes are committed): the next
 * pass, at the latest the replica heartbeat's, links them.
 */
export class AuditChainer {
  private running: Promise<void> | undefined;
  private queued: Promise<void> | undefined;

  constructor(
    private readonly db: Kysely<Database>,
    private readonly lockKey: string,
    private readonly key: Buffer | undefined,
  ) {}

  link(): Promise<void> {
    if (!this.running) {
      this.running = this.pass().finally(() => {
        this.running = undefined;
      });
      return this.running;
    }
    this.queued ??= this.running
      .catch(() => undefined)
      .then(() => {
        this.queued = undefined;
        return this.link();
      });
    return this.queued;
  }

  private async pass(): Promise<void> {
    for (;;) {
      // Outside the lock: after our commit this sees our events, unless a pass elsewhere already took
      // them, in which case it holds the lock until they are linked and committed.
      const waiting = await this.db.selectFrom("audit_pending").select("id").limit(1).executeTakeFirst();
      if (!waiting) return;
      const linked = await this.db.transaction().execute(async (trx) => {
        await sql`SELECT pg_advisory_xact_lock(${this.lockKey}::bigint)`.execute(trx);
        // Taken and deleted in one statement: the ids are the ones this pass links, and a row that
        // commits meanwhile stays for the next pass instead of being deleted unlinked.
        const { rows } = await sql<{
          id: string | number;
          at: string | number;
          actor: string;
          action: string;
          request_id: string | null;
          detail: string;
        }>`DELETE FROM audit_pending WHERE id IN (SELECT id FROM audit_pending ORDER BY id LIMIT ${BATCH})
           RETURNING id, at, actor, action, request_id, detail`.execute(trx);
        if (rows.length === 0) return 0;
        rows.sort((a, b) => Number(a.id) - Number(b.id));
        const entries = rows.map(({ id: _id, ...entry }) => ({ ...entry, at: Number(entry.at) }));
        await appendEntries(trx, entries, this.key);
        return rows.length;
      });
      if (linked < BATCH) return;
    }
  }
}
