import { createHash, createHmac, timingSafeEqual } from "node:crypto";
import type { Kysely } from "kysely";
import { type AuditAnchor, anchorSignatureValid } from "./audit-anchor.js";
import type { Database } from "./schema.js";

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

export async function auditHead(db: Kysely<Database>): Promise<AuditRow | undefined> {
  return db.selectFrom("audit_events").selectAll().orderBy("seq", "desc").limit(1).executeTakeFirst();
}

/** An event as the chain stores it: times in milliseconds, detail as JSON text. */
export type AuditEntry = Pick<AuditRow, "at" | "actor" | "action" | "request_id" | "detail">;

export function auditEntry(event: AuditEvent): AuditEntry {
  return {
    at: event.at.getTime(),
    actor: event.actor,
    action: event.action,
    request_id: event.requestId ?? null,
    detail: JSON.stringify(event.detail ?? {}),
  };
}

/**
 * Appends events after the chain's head; call inside the transaction of the change they record,
 * holding whatever serialises appends (see Engine.write). The hash is computed here, never in
 * SQL, so a chain reads and verifies the same whichever engine wrote it.
 */
export async function appendAudits(db: Kysely<Database>, events: AuditEvent[], key: Buffer | undefined) {
  await appendEntries(db, events.map(auditEntry), key);
}

export async function appendEntries(db: Kysely<Database>, entries: AuditEntry[], key: Buffer | undefined) {
  const last = await db
    .selectFrom("audit_events")
    .select(["seq", "hash"])
    .orderBy("seq", "desc")
    .limit(1)
    .executeTakeFirst();
  let seq = last?.seq ?? 0;
  let previous = last?.hash ?? GENESIS;
  const scheme: AuditScheme = key ? "hmac-sha256" : "sha256";
  const rows = entries.map((entry) => {
    seq++;
    const row = { seq, ...entry, prev_hash: previous };
    previous = hashOf(row, key);
    return { ...row, hash: previous, scheme };
  });
  await db.insertInto("audit_events").values(rows).execute();
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
export async function verifyAudit(db: Kysely<Database>, options: VerifyOptions = {}): Promise<AuditVerdict> {
  const { key, anchors = [] } = options;
  const anchored = new Map<number, string>();
  const wanted = new Set(anchors.map((a) => a.seq));
  let previous = GENESIS;
  let expectedSeq = 1;
  let events = 0;
  let keyed = 0;
  const broken = (brokenAt: number, why: string): AuditVerdict => ({ ok: false, events, brokenAt, why });
  for await (const row of auditRows(db)) {
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

/** Every row in order, a page at a time (pg streams only with pg-cursor; a page is as good here). */
async function* auditRows(db: Kysely<Database>): AsyncGenerator<AuditRow> {
  const PAGE = 2_000;
  let after = 0;
  for (;;) {
    const rows: AuditRow[] = await db
      .selectFrom("audit_events")
      .selectAll()
      .where("seq", ">", after)
      .orderBy("seq")
      .limit(PAGE)
      .execute();
    yield* rows;
    const last = rows.at(-1);
    if (!last || rows.length < PAGE) return;
    after = last.seq;
  }
}

export async function auditTrail(db: Kysely<Database>, requestId: string): Promise<AuditRow[]> {
  return db.selectFrom("audit_events").selectAll().where("request_id", "=", requestId).orderBy("seq").execute();
}
