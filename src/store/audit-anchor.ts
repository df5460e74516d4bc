import { createHmac, timingSafeEqual } from "node:crypto";

/**
 * The head of the audit chain, published where the database's owner cannot reach it (the log
 * pipeline, a Slack channel). A row deleted after an anchor was published shows as a chain that is
 * shorter than the anchor, or whose row at the anchor's seq has another hash.
 */
export interface AuditAnchor {
  seq: number;
  hash: string;
  /** HMAC-SHA256 with JITBOT_AUDIT_KEY; absent when the bot runs without a key. */
  sig?: string;
}

export const ANCHOR_MESSAGE = "audit anchor";

// The prefix keeps an anchor's signature from ever equalling a row's (rows sign a JSON array).
const signed = (seq: number, hash: string) => `jitbot audit anchor:${seq}:${hash}`;

export function signAnchor(head: { seq: number; hash: string }, key: Buffer | undefined): AuditAnchor {
  const anchor: AuditAnchor = { seq: head.seq, hash: head.hash };
  if (key) anchor.sig = createHmac("sha256", key).update(signed(head.seq, head.hash)).digest("hex");
  return anchor;
}

export function anchorSignatureValid(anchor: AuditAnchor, key: Buffer): boolean {
  const expected = signAnchor(anchor, key).sig ?? "";
  const given = anchor.sig ?? "";
  return given.length === expected.length && timingSafeEqual(Buffer.from(given), Buffer.from(expected));
}

/** The JSON a person copies into `jitbot audit verify --anchor '…'`. */
export function anchorJson(anchor: AuditAnchor): string {
  return JSON.stringify({ msg: ANCHOR_MESSAGE, ...anchor });
}

/** One anchor from a JSON object (a log line or a pasted --anchor), or a sentence saying what is wrong. */
export function parseAnchor(text: string): AuditAnchor | string {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return "is not JSON";
  }
  if (typeof value !== "object" || value === null) return "is not a JSON object";
  const { seq, hash, sig } = value as Record<string, unknown>;
  if (typeof seq !== "number" || !Number.isSafeInteger(seq) || seq < 0) return "has no seq (a whole number)";
  if (typeof hash !== "string" || !/^[0-9a-f]{64}$/.test(hash)) return "has no hash (64 hex digits)";
  if (sig !== undefined && (typeof sig !== "string" || !/^[0-9a-f]{64}$/.test(sig)))
    return "has a sig that is not 64 hex digits";
  return sig === undefined ? { seq, hash } : { seq, hash, sig };
}

/**
 * Every anchor line in a log (JSON lines; other lines are skipped), or a sentence naming the first
 * anchor line that is damaged: silently skipping it would drop the very check it carries.
 */
export function anchorsInLog(text: string): AuditAnchor[] | string {
  const anchors: AuditAnchor[] = [];
  const lines = text.split("\n");
  for (const [index, line] of lines.entries()) {
    if (!line.includes(`"${ANCHOR_MESSAGE}"`)) continue;
    let message: unknown;
    try {
      message = (JSON.parse(line) as { msg?: unknown }).msg;
    } catch {
      continue;
    }
    if (message !== ANCHOR_MESSAGE) continue;
    const anchor = parseAnchor(line);
    if (typeof anchor === "string") return `line ${index + 1} is an audit anchor that ${anchor}`;
    anchors.push(anchor);
  }
  return anchors;
}
