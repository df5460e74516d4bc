import type { AnyMiddlewareArgs, App, Middleware } from "@slack/bolt";
import { z } from "zod";
import { slackUserIdSchema } from "../../config/zod-helpers.js";
import { DomainError } from "../../domain/errors.js";
import { domainMessage } from "../../domain/messages.js";
import { ACTION, BLOCK, CALLBACK, VALUE } from "../ids.js";
import { guarded, tell } from "../reply.js";
import { isDuplicateDelivery } from "./deliveries.js";
import type { SlackDeps } from "./deps.js";

/**
 * Slack waits 3 s for an answer, and a payload that no listener acknowledges is answered by Bolt
 * only after that (HTTPReceiver's unhandled-request timeout): Slack shows the person an error and
 * nobody learns why. This runs before every listener: a payload whose fields a listener reads are
 * missing or of the wrong type, or that names an action or view this jitbot does not have, is
 * answered at once, and the person (when there is one) gets a sentence.
 */
const user = z.object({ id: slackUserIdSchema });
const action = z.object({ action_id: z.string(), block_id: z.string().optional(), value: z.string().optional() });
const place = z.object({ channel: z.object({ id: z.string() }).optional() });

const blockActions = place.extend({
  type: z.literal("block_actions"),
  user,
  trigger_id: z.string(),
  actions: z.array(action).min(1),
  view: z.object({ id: z.string(), hash: z.string().optional() }).optional(),
  message: z.object({ ts: z.string() }).optional(),
});
const viewPayload = z.object({
  type: z.enum(["view_submission", "view_closed"]),
  user,
  view: z.object({ callback_id: z.string() }),
});
/** A submission's view id and hash key its replay guard (requests.claimViewSubmission). */
const viewSubmission = z.object({ view: z.object({ id: z.string().min(1), hash: z.string().min(1) }) });
const blockSuggestion = z.object({
  type: z.literal("block_suggestion"),
  user,
  block_id: z.string(),
  action_id: z.string(),
  value: z.string().optional(),
});
const command = z.object({ command: z.string(), user_id: slackUserIdSchema, trigger_id: z.string() });
const homeOpened = z.object({
  event: z.object({ type: z.literal("app_home_opened"), user: slackUserIdSchema, tab: z.string() }),
});

const BUTTONS: readonly string[] = [
  ACTION.approve,
  ACTION.deny,
  ACTION.cancel,
  ACTION.revoke,
  ACTION.revokeAutoApproved,
  ACTION.refresh,
  ACTION.extend,
  ACTION.openRequest,
  ACTION.confirmBreakGlass,
];
const VIEWS: readonly string[] = [CALLBACK.requestModal, CALLBACK.denyModal, CALLBACK.breakGlassConfirm];
/** Inputs of the request form that rebuild it when changed (dispatch_action). */
const DISPATCHING: readonly string[] = [BLOCK.profile, BLOCK.mode];

type Verdict =
  | { kind: "claimed" }
  | { kind: "malformed" }
  | { kind: "unclaimed"; userId: string; channelId?: string; error: DomainError }
  | { kind: "answered"; answer: object };

/** Whether a listener below will answer `body`, and if not, what to say. */
export function triage(body: unknown): Verdict {
  const kind = (body as { type?: unknown } | null)?.type;
  const has = (key: string) => typeof body === "object" && body !== null && key in body;
  if (has("command")) {
    const parsed = command.safeParse(body);
    if (!parsed.success) return { kind: "malformed" };
    if (parsed.data.command === "/jit") return { kind: "claimed" };
    return {
      kind: "answered",
      answer: { response_type: "ephemeral", text: "jitbot answers `/jit` only: try `/jit help`." },
    };
  }
  if (has("event")) {
    const event = (body as { event?: { type?: unknown } }).event;
    if (event?.type !== "app_home_opened") return { kind: "claimed" }; // acknowledged by Bolt; nobody listens
    return homeOpened.safeParse(body).success ? { kind: "claimed" } : { kind: "malformed" };
  }
  if (kind === "block_actions") {
    const parsed = blockActions.safeParse(body);
    if (!parsed.success) return { kind: "malformed" };
    const [first] = parsed.data.actions;
    if (!first) return { kind: "malformed" };
    const known =
      BUTTONS.includes(first.action_id) || (first.action_id === VALUE && DISPATCHING.includes(first.block_id ?? ""));
    if (known) return { kind: "claimed" };
    return {
      kind: "unclaimed",
      userId: parsed.data.user.id,
      channelId: parsed.data.channel?.id,
      error: new DomainError("BUTTON_DAMAGED"),
    };
  }
  if (kind === "view_submission" || kind === "view_closed") {
    const parsed = viewPayload.safeParse(body);
    if (!parsed.success) return { kind: "malformed" };
    if (kind === "view_submission" && VIEWS.includes(parsed.data.view.callback_id)) {
      if (!viewSubmission.safeParse(body).success) {
        return { kind: "unclaimed", userId: parsed.data.user.id, error: new DomainError("FORM_DAMAGED") };
      }
      return { kind: "claimed" };
    }
    // Closing a form needs no answer but the ack: jitbot never asks to hear about it (notify_on_close).
    if (kind === "view_closed") return { kind: "malformed" };
    return { kind: "unclaimed", userId: parsed.data.user.id, error: new DomainError("FORM_DAMAGED") };
  }
  if (kind === "block_suggestion") {
    const parsed = blockSuggestion.safeParse(body);
    if (!parsed.success) return { kind: "malformed" };
    if (parsed.data.block_id === BLOCK.profile && parsed.data.action_id === VALUE) return { kind: "claimed" };
    return { kind: "malformed" };
  }
  // Shortcuts and anything else Slack may send: jitbot offers none, so they only need the ack.
  return { kind: "malformed" };
}

/**
 * A listener that fails before it acks would leave Slack waiting for Bolt's 3-second timeout (the
 * error goes to app.error, which cannot answer). Ack it now — a second ack after the listener's own
 * is refused by the receiver, which is fine: Slack already has its answer — and tell the person,
 * with the correlation id the log line carries.
 */
async function answeringOnFailure(args: Parameters<Middleware<AnyMiddlewareArgs>>[0], deps: SlackDeps): Promise<void> {
  try {
    await args.next();
  } catch (error) {
    if ("ack" in args && args.ack) {
      await (args.ack as () => Promise<void>)().catch(() => undefined);
    }
    const body = args.body as { user?: { id?: unknown }; user_id?: unknown; channel?: { id?: unknown } };
    const userId = body.user?.id ?? body.user_id;
    if (typeof userId !== "string") throw error;
    const channelId = typeof body.channel?.id === "string" ? body.channel.id : undefined;
    await guarded(args.client, deps.logger, { userId, channelId }, () => Promise.reject(error));
  }
}

export function registerGate(app: App, deps: SlackDeps): void {
  const gate: Middleware<AnyMiddlewareArgs> = async (args) => {
    if (await isDuplicateDelivery(args, deps)) return;
    const verdict = triage(args.body);
    if (verdict.kind === "claimed") return answeringOnFailure(args, deps);
    // An options request must be answered with options: an empty list says "nothing matches".
    const answer =
      verdict.kind === "answered"
        ? verdict.answer
        : args.body.type === "block_suggestion"
          ? { options: [] }
          : undefined;
    if ("ack" in args && args.ack) await (args.ack as (response?: object) => Promise<void>)(answer);
    if (verdict.kind === "malformed") {
      deps.logger.warn({ type: String(args.body.type ?? "command") }, "answered a Slack payload no listener reads");
    }
    if (verdict.kind !== "unclaimed") return;
    const text = domainMessage(verdict.error);
    const where = { userId: verdict.userId, channelId: verdict.channelId };
    deps.afterAck.later(() =>
      tell(args.client, where, text).catch((error: unknown) =>
        deps.logger.warn({ err: error instanceof Error ? error.message : String(error) }, "could not tell the user"),
      ),
    );
  };
  app.use(gate);
}
