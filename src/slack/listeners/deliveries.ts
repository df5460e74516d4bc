import type { AnyMiddlewareArgs, Middleware } from "@slack/bolt";
import type { SlackDeps } from "./deps.js";

/**
 * Slack delivers some payloads more than once, and with several replicas the copy may reach
 * another replica than the first:
 * - An Events API event is retried (up to three times, with `X-Slack-Retry-Num`) when the first
 *   delivery was not answered with a 2xx within 3 s; every retry carries the same `event_id`
 *   (https://api.slack.com/apis/events-api, "Error handling" / "Graceful retries"). Over Socket
 *   Mode the retry comes in a new envelope with the same `event_id`.
 * - A Socket Mode envelope that was not acknowledged with its `envelope_id` in time is sent again,
 *   possibly over another of the app's connections
 *   (https://api.slack.com/apis/connections/socket-implement, "Acknowledge events").
 * Slash commands and interactivity over HTTP are never retried: an answer later than 3 s shows the
 * person an error instead (https://api.slack.com/interactivity/handling, "Acknowledgment
 * response"), so they carry no delivery id and cost no database write on their ack path.
 */
export function deliveryId(body: unknown, context: Record<string, unknown>): string | undefined {
  const payload = body as { type?: unknown; event_id?: unknown } | null;
  if (payload?.type === "event_callback" && typeof payload.event_id === "string" && payload.event_id !== "") {
    return `event:${payload.event_id}`;
  }
  const envelope = context[ENVELOPE_ID];
  return typeof envelope === "string" && envelope !== "" ? `envelope:${envelope}` : undefined;
}

/** Where the Socket Mode receiver puts each envelope's id in Bolt's context (socket-receiver.ts). */
export const ENVELOPE_ID = "envelopeId";

/**
 * A Socket Mode envelope's claim runs before its listener acks: a database slower than this must
 * not push the answer past Slack's 3 s. (Events are acked by Bolt before any middleware runs.)
 */
export const CLAIM_WAIT_MS = 1_000;

export type ClaimOutcome = { kind: "first" } | { kind: "duplicate" } | { kind: "unknown"; why: string };

export async function claimWithin(claim: () => Promise<boolean>, waitMs: number): Promise<ClaimOutcome> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<ClaimOutcome>((resolve) => {
    timer = setTimeout(() => resolve({ kind: "unknown", why: `no answer within ${waitMs} ms` }), waitMs);
    timer.unref();
  });
  const claimed = claim().then(
    (first): ClaimOutcome => (first ? { kind: "first" } : { kind: "duplicate" }),
    (error: unknown): ClaimOutcome => ({
      kind: "unknown",
      why: error instanceof Error ? error.message : String(error),
    }),
  );
  try {
    return await Promise.race([claimed, late]);
  } finally {
    clearTimeout(timer);
  }
}

/**
 * True when another delivery of this payload was already taken, by this replica or another: the
 * copy is acknowledged (else Slack keeps sending it) and dropped before any listener runs.
 *
 * When the store cannot say (down, slow), the payload is handled: at least once rather than
 * perhaps never. A duplicate handled twice is harmless here — every state change is guarded on
 * the old state in the store, and a second App Home publish shows the same thing — while a
 * dropped click or event is a person's action lost without a word.
 */
export async function isDuplicateDelivery(
  args: Parameters<Middleware<AnyMiddlewareArgs>>[0],
  deps: SlackDeps,
): Promise<boolean> {
  const id = deliveryId(args.body, args.context);
  if (id === undefined) return false;
  const outcome = await claimWithin(() => deps.claimDelivery(id), CLAIM_WAIT_MS);
  if (outcome.kind === "first") return false;
  if (outcome.kind === "unknown") {
    deps.logger.warn(
      { delivery: id, err: outcome.why },
      "could not record a Slack delivery; handling it anyway (a redelivery may be handled twice)",
    );
    return false;
  }
  if ("ack" in args && args.ack) await (args.ack as () => Promise<void>)();
  deps.logger.debug({ delivery: id }, "dropped a Slack delivery already handled");
  return true;
}
