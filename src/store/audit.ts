import { createHash, createHmac, timingSafeEqual } from "node:crypto";
import { type AuditAnchor, anchorSignatureValid } from "./audit-anchor.js";
import type { Db } from "./db.js";

export interface AuditEvent {
  at: Date;
  actor: string;
  action: string;
  requestId?: string;
  detail?: Record<string, unknown>;
}

/**
 * `sha256`: a plain hash chain (an edit shows, but whoever has the file can recompute every hash).
 * `hmac-sha256`: keyed with JITBOT_AUDIT_KEY, so without the key no row can be re-forged.
 */
export type AuditScheme = "sha256" | "hmac-sha256";

export interface AuditRow {
  seq: number;
  at: number;
  actor: string;
  action: string;
  request_id: string | null;
  detail: string;
  prev_hash: string;
  hash: string;
  /** Absent in files older than schema 3, whose rows are all `sha256`. */
  scheme?: string;
}

export const GENESIS = "0".repeat(64);

/** The row's hash covers its predecessor's hash: that link is what makes the rows a chain. */
export function hashOf(row: Omit<AuditRow, "hash" | "scheme">, key?: Buffer): string {
  const canonical = JSON.stringify([row.seq, row.at, row.actor, row.action, row.request_id, row.detail, row.prev_hash]);
  return (key ? createHmac("sha256", key) : createHash("sha256")).update(canonical).digest("hex");
}

export function auditHead(db: Db): AuditRow | undefined {
  return db.prepare("SELECT * FROM audit_events ORDER BY seq DESC LIMIT 1").get() as AuditRow | undefined;
}

/**
 * The key travels with the connection, set once by the Store that opened it, so the repositories'
 * many `appendAudit(db, …)` calls need not each carry it.
 */
const keys = new WeakMap<Db, Buffer>();

export function useAuditKey(db: Db, key: Buffer | undefined): void {
  if (key) keys.set(db, key);
  else keys.delete(db);
}

/** Appends one event; call inside the transaction of the change it records. */
export function appendAudit(db: Db, event: AuditEvent): void {
  const key = keys.get(db);
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
  const scheme: AuditScheme = key ? "hmac-sha256" : "sha256";
  db.prepare(
    `INSERT INTO audit_events (seq, at, actor, action, request_id, detail, prev_hash, hash, scheme)
     VALUES (@seq, @at, @actor, @action, @request_id, @detail, @prev_hash, @hash, @scheme)`,
  ).run({ ...row, hash: hashOf(row, key), scheme });
}

/** Whether `row`'s stored hash is what its contents give under its own scheme. */
export function rowVerifies(row: AuditRow, key: Buffer | undefined): boolean {
  const expected = hashOf(row, row.scheme === "hmac-sha256" ? key : undefined);
  return expected.length === row.hash.length && timingSafeEqual(Buffer.from(expected), Buffer.from(row.hash));
}

export type AuditVerdict =
  | { ok: true; events: number; keyed: number; anchors: number }
  | { ok: false; events: number; brokenAt: number; why: string };

export interface VerifyOptions {
  /** JITBOT_AUDIT_KEY: without it, keyed rows cannot be checked and the chain is not called intact. */
  key?: Buffer;
  /** Heads published outside the database: the chain must reach each, with the same hash. */
  anchors?: readonly AuditAnchor[];
}

/**
 * Walks the chain; the first row whose hash or link does not match is where someone edited.
 * With a key, unkeyed rows are accepted only before the first keyed one, and a chain with no keyed
 * row at all is refused: someone with the file could otherwise re-forge the keyed rows unkeyed.
 */
export function verifyAudit(db: Db, options: VerifyOptions = {}): AuditVerdict {
  const { key, anchors = [] } = options;
  const anchored = new Map<number, string>();
  const wanted = new Set(anchors.map((a) => a.seq));
  let previous = GENESIS;
  let expectedSeq = 1;
  let events = 0;
  let keyed = 0;
  const broken = (brokenAt: number, why: string): AuditVerdict => ({ ok: false, events, brokenAt, why });
  for (const row of db.prepare("SELECT * FROM audit_events ORDER BY seq").iterate() as Iterable<AuditRow>) {
    events++;
    const scheme = row.scheme ?? "sha256";
    if (row.seq !== expectedSeq) return broken(row.seq, `row ${expectedSeq} is missing`);
    if (row.prev_hash !== previous) return broken(row.seq, "link to the previous row");
    if (scheme === "hmac-sha256") {
      if (!key) return broken(row.seq, "it is keyed: set JITBOT_AUDIT_KEY to verify it");
      keyed++;
    } else if (scheme !== "sha256") {
      return broken(row.seq, `unknown hash scheme ${JSON.stringify(scheme)}`);
    } else if (keyed > 0) {
      return broken(row.seq, "it is not keyed but follows keyed rows (re-forged without JITBOT_AUDIT_KEY)");
    }
    if (!rowVerifies(row, key)) {
      return broken(
        row.seq,
        scheme === "hmac-sha256"
          ? "contents do not match its hash (or JITBOT_AUDIT_KEY is not the key it was written with)"
          : "contents do not match its hash",
      );
    }
    if (wanted.has(row.seq)) anchored.set(row.seq, row.hash);
    previous = row.hash;
    expectedSeq++;
  }
  if (key && events > 0 && keyed === 0) {
    return broken(
      events,
      "no row is keyed although JITBOT_AUDIT_KEY is set (the bot never ran with this key, or its keyed rows were re-forged)",
    );
  }
  for (const anchor of [...anchors].sort((a, b) => b.seq - a.seq)) {
    if (anchor.sig !== undefined && key && !anchorSignatureValid(anchor, key)) {
      return broken(anchor.seq, "its anchor's signature is not JITBOT_AUDIT_KEY's (a forged anchor)");
    }
    if (anchor.seq === 0) continue;
    const hash = anchored.get(anchor.seq);
    if (hash === undefined) {
      return broken(
        anchor.seq,
        `the chain ends at event ${events} but an anchor names event ${anchor.seq}: the newest rows were deleted`,
      );
    }
    if (hash !== anchor.hash) return broken(anchor.seq, "its hash differs from the anchor published for it");
  }
  return { ok: true, events, keyed, anchors: anchors.length };
}

export function auditTrail(db: Db, requestId: string): AuditRow[] {
  return db.prepare("SELECT * FROM audit_events WHERE request_id = ? ORDER BY seq").all(requestId) as AuditRow[];
}
