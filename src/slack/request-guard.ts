import type { IncomingMessage } from "node:http";
import { type BufferedIncomingMessage, HTTPModuleFunctions, isValidSlackRequest } from "@slack/bolt";

/**
 * Slack's payloads are a few KB; the largest jitbot can receive is a view submission or a click on
 * the App Home, which carry the view (≤ 100 blocks). 256 KiB is far above that and far below what
 * would hurt a small pod.
 */
export const SLACK_BODY_LIMIT = 256 * 1024;

/** Slack's own rule for stale requests, applied in both directions (Bolt refuses only stale ones). */
const MAX_SKEW_SECONDS = 5 * 60;

export interface Refusal {
  status: 400 | 401 | 413;
  /** For the log line; never echoes the request. */
  why: string;
  /** Set when the request carried no signature at all (Slack's unsigned SSL check may be one). */
  unsigned?: boolean;
}

/** Slack's SSL check is a tiny form post; nothing bigger is read without a signature. */
const SSL_CHECK_LIMIT = 512;

/**
 * Slack checks a slash command's certificate with a POST of `ssl_check=1&token=…`, which Bolt
 * answers without verifying a signature (HTTPModuleFunctions: "these requests do not require
 * x-slack-signature verification"). Only such a body, at most 512 bytes, is read unsigned.
 */
export async function isSslCheck(req: IncomingMessage): Promise<boolean> {
  const type = String(req.headers["content-type"] ?? "");
  const length = Number(req.headers["content-length"]);
  if (!type.startsWith("application/x-www-form-urlencoded") || !(length <= SSL_CHECK_LIMIT)) return false;
  const read = await readCappedBody(req, SSL_CHECK_LIMIT);
  if (read.kind !== "body") return false;
  const form = new URLSearchParams(read.body.toString("utf8"));
  return form.get("ssl_check") === "1" && [...form.keys()].every((key) => key === "ssl_check" || key === "token");
}

/**
 * Bolt copies the payload's team and enterprise ids into the WebClient it hands listeners, which
 * sends them with every call and, for its debug line, matches the pattern `.*token.*` against each
 * key of the body, quadratic in a key's length. A (signed) payload whose team id was an object with a 100 KB key
 * stalled the event loop for 9 s. Slack's ids are short strings; anything else is refused.
 */
function workspaceIdsAreStrings(body: Record<string, unknown>): boolean {
  const nested = (key: string) => {
    const value = body[key];
    return typeof value === "object" && value !== null ? (value as Record<string, unknown>) : {};
  };
  const ids = [
    body.team_id,
    body.enterprise_id,
    body.api_app_id,
    nested("team").id,
    nested("enterprise").id,
    nested("user").team_id,
    nested("view").team_id,
    nested("event").team,
  ];
  return ids.every((id) => id === undefined || id === null || (typeof id === "string" && id.length <= 64));
}

/** The payload types Bolt's App routes by `type` alone. */
const ROUTABLE_TYPES = new Set([
  "url_verification",
  "block_suggestion",
  "dialog_submission",
  "shortcut",
  "message_action",
  "view_submission",
  "view_closed",
]);

/**
 * What Bolt's App can route (its getTypeAndConversation, plus the receiver's own url_verification
 * and ssl_check). Anything else reaches no listener and would be answered only by Bolt's 3-second
 * timeout with a 404, so it is refused at once.
 */
function boltCanRoute(body: Record<string, unknown>): boolean {
  if (body.event !== undefined || body.command !== undefined || body.name !== undefined) return true;
  if (body.actions !== undefined || body.ssl_check !== undefined) return true;
  // A string, as Bolt compares it with ===: String(["view_submission"]) would pass the list.
  return typeof body.type === "string" && ROUTABLE_TYPES.has(body.type);
}

/**
 * Checks what the headers alone can tell, before a byte of the body is read: Slack signs every
 * request (https://docs.slack.dev/authentication/verifying-requests-from-slack), so a request
 * without the signature headers, or stamped more than five minutes from now either way, is not
 * from Slack. The wall clock is used, not the bot's Clock: the timestamp is Slack's wall time.
 */
export function refuseByHeaders(req: IncomingMessage, nowMs: number, limit = SLACK_BODY_LIMIT): Refusal | undefined {
  const signature = req.headers["x-slack-signature"];
  const timestamp = req.headers["x-slack-request-timestamp"];
  if (typeof signature !== "string" || typeof timestamp !== "string" || !/^v0=[0-9a-f]{64}$/.test(signature)) {
    return { status: 401, why: "no Slack signature", unsigned: true };
  }
  if (!/^\d{1,12}$/.test(timestamp)) return { status: 401, why: "the Slack timestamp is not a number" };
  const skew = Number(timestamp) - Math.floor(nowMs / 1000);
  if (skew > MAX_SKEW_SECONDS) return { status: 401, why: "the Slack timestamp is in the future" };
  if (skew < -MAX_SKEW_SECONDS) return { status: 401, why: "the Slack timestamp is stale" };
  const length = req.headers["content-length"];
  if (length !== undefined && !(Number(length) <= limit)) return { status: 413, why: "the body is over the limit" };
  return undefined;
}

export type BodyRead = { kind: "body"; body: Buffer } | { kind: "too large" } | { kind: "gone" };

/**
 * Reads the body counting bytes as they stream, so a chunked body (no Content-Length) is cut off at
 * the limit rather than buffered whole. Never rejects: a client that goes away is just "gone".
 */
export function readCappedBody(req: IncomingMessage, limit = SLACK_BODY_LIMIT): Promise<BodyRead> {
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const finish = (result: BodyRead) => {
      req.off("data", onData);
      req.off("end", onEnd);
      req.off("error", onGone);
      req.off("close", onGone);
      resolve(result);
    };
    const onData = (chunk: Buffer) => {
      size += chunk.length;
      if (size > limit) {
        req.pause();
        finish({ kind: "too large" });
      } else chunks.push(chunk);
    };
    const onEnd = () => finish({ kind: "body", body: Buffer.concat(chunks, size) });
    const onGone = () => finish({ kind: "gone" });
    req.on("data", onData);
    req.once("end", onEnd);
    req.once("error", onGone);
    req.once("close", onGone);
  });
}

/**
 * The signature is checked with Bolt's own function, then the body must parse to an object: Bolt
 * reads `body.ssl_check` outside its try, so a signed `null` would otherwise reject unhandled.
 * On success the body is left on the request, where Bolt's receiver takes it instead of reading.
 */
export function acceptBody(req: IncomingMessage, body: Buffer, signingSecret: string): Refusal | undefined {
  const text = body.toString("utf8");
  const verified = isValidSlackRequest({
    signingSecret,
    body: text,
    headers: {
      "x-slack-signature": String(req.headers["x-slack-signature"]),
      "x-slack-request-timestamp": Number(req.headers["x-slack-request-timestamp"]),
    },
  });
  if (!verified) return { status: 401, why: "the Slack signature does not match" };
  const buffered = Object.assign(req, { rawBody: body }) satisfies BufferedIncomingMessage;
  let parsed: unknown;
  try {
    parsed = HTTPModuleFunctions.parseHTTPRequestBody(buffered);
  } catch {
    return { status: 400, why: "the body is not JSON or a form" };
  }
  if (typeof parsed !== "object" || parsed === null || Array.isArray(parsed)) {
    return { status: 400, why: "the body is not an object" };
  }
  if (!boltCanRoute(parsed as Record<string, unknown>)) return { status: 400, why: "no Slack payload of a known type" };
  if (!workspaceIdsAreStrings(parsed as Record<string, unknown>)) {
    return { status: 400, why: "a workspace id in the payload is not a string" };
  }
  return undefined;
}
