import { createHash } from "node:crypto";
import type { Db } from "./db.js";

export interface AuditEvent {
  at: Date;
  actor: string;
  action: string;
  requestId?: string;
  detail?: Record<string, unknown>;
}

export interface AuditRow {
  seq: number;
  at: number;
  actor: string;
  action: string;
  request_id: string | null;
  detail: string;
  prev_hash: string;
  hash: string;
}

const GENESIS = "0".repeat(64);

function hashOf(row: Omit<AuditRow, "hash">): string {
  const canonical = JSON.stringify([row.seq, row.at, row.actor, row.action, row.request_id, row.detail, row.prev_hash]);
  return createHash("sha256").update(canonical).digest("hex");
}

/** Appends one event; call inside the transaction of the change it records. */
export function appendAudit(db: Db, event: AuditEvent): void {
  const last = db.prepare("SELECT seq, hash FROM audit_events ORDER BY seq DESC LIMIT 1").get() as
    | { seq: number; hash: string }
    | undefined;
  const row = {
    seq: (last?.seq ?? 0) + 1,
    at: event.at.getTime(),
    actor: event.actor,
    action: event.action,
    request_id: event.requestId ?? null,
    detail: JSON.stringify(event.detail ?? {}),
    prev_hash: last?.hash ?? GENESIS,
  };
  db.prepare(
    `INSERT INTO audit_events (seq, at, actor, action, request_id, detail, prev_hash, hash)
     VALUES (@seq, @at, @actor, @action, @request_id, @detail, @prev_hash, @hash)`,
  ).run({ ...row, hash: hashOf(row) });
}

export type AuditVerdict = { ok: true; events: number } | { ok: false; events: number; brokenAt: number; why: string };

/** Walks the chain; the first row whose hash or link does not match is where someone edited. */
export function verifyAudit(db: Db): AuditVerdict {
  let previous = GENESIS;
  let expectedSeq = 1;
  let events = 0;
  for (const row of db.prepare("SELECT * FROM audit_events ORDER BY seq").iterate() as Iterable<AuditRow>) {
    events++;
    if (row.seq !== expectedSeq) return { ok: false, events, brokenAt: row.seq, why: `row ${expectedSeq} is missing` };
    if (row.prev_hash !== previous) return { ok: false, events, brokenAt: row.seq, why: "link to the previous row" };
    if (hashOf(row) !== row.hash)
      return { ok: false, events, brokenAt: row.seq, why: "contents do not match its hash" };
    previous = row.hash;
    expectedSeq++;
  }
  return { ok: true, events };
}

export function auditTrail(db: Db, requestId: string): AuditRow[] {
  return db.prepare("SELECT * FROM audit_events WHERE request_id = ? ORDER BY seq").all(requestId) as AuditRow[];
}
