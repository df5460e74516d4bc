import { randomBytes } from "node:crypto";
import type { OpenedView, PostedMessage } from "./slack-web-api.js";

/**
 * The exact bodies Slack sends to an app's Request URL, built so the bot's production code path
 * (Bolt's HTTPReceiver, signature check, listeners) handles playground clicks like real ones.
 */
const TEAM = { id: "T0PLAY", domain: "playground" };
const APP_ID = "A0JITBOT";
/** Slack would POST follow-ups here; jitbot never uses response_url, so it points nowhere. */
const NO_RESPONSE_URL = "http://127.0.0.1:9/unused";

export interface Person {
  id: string;
  name: string;
}

/** The fake Web API reads the view's owner from the part before the dot. */
export function triggerId(userId: string): string {
  return `${userId}.${randomBytes(6).toString("hex")}`;
}

export function slashCommandBody(user: Person, channel: { id: string; name: string }, text: string): string {
  return new URLSearchParams({
    token: "unused",
    team_id: TEAM.id,
    team_domain: TEAM.domain,
    channel_id: channel.id,
    channel_name: channel.name,
    user_id: user.id,
    user_name: handleOf(user),
    command: "/jit",
    text,
    api_app_id: APP_ID,
    response_url: NO_RESPONSE_URL,
    trigger_id: triggerId(user.id),
  }).toString();
}

/** One element's answer inside a view's `state.values[blockId][actionId]`. */
export type ElementState =
  | { type: string; value: string | null }
  | { type: string; selected_option: { value: string; text: { type: "plain_text"; text: string } } | null };

export type ViewState = Record<string, Record<string, ElementState>>;

export interface ClickedAction {
  type: string;
  action_id: string;
  block_id: string;
  value?: string;
  selected_option?: { value: string; text: { type: "plain_text"; text: string } };
}

function common(user: Person) {
  return {
    team: TEAM,
    user: { id: user.id, username: handleOf(user), name: handleOf(user), team_id: TEAM.id },
    api_app_id: APP_ID,
    token: "unused",
    trigger_id: triggerId(user.id),
  };
}

function viewPayload(
  opened: OpenedView | { id: string; hash: string; view: Record<string, unknown> },
  state: ViewState,
) {
  return {
    id: opened.id,
    hash: opened.hash,
    type: opened.view.type ?? "modal",
    callback_id: opened.view.callback_id ?? "",
    private_metadata: opened.view.private_metadata ?? "",
    team_id: TEAM.id,
    app_id: APP_ID,
    bot_id: "B0JITBOT",
    blocks: opened.view.blocks ?? [],
    state: { values: state },
    title: opened.view.title,
  };
}

/** A click on a message in a channel or DM. */
export function messageActionBody(user: Person, message: PostedMessage, action: ClickedAction): string {
  return form({
    type: "block_actions",
    ...common(user),
    container: {
      type: "message",
      message_ts: message.ts,
      channel_id: message.channel,
      is_ephemeral: Boolean(message.ephemeralFor),
    },
    channel: { id: message.channel, name: message.channel },
    message: { type: "message", ts: message.ts, text: message.text, blocks: message.blocks },
    response_url: NO_RESPONSE_URL,
    actions: [{ ...action, action_ts: actionTs() }],
  });
}

/** A click or a dispatching select inside a modal or the App Home. */
export function viewActionBody(
  user: Person,
  opened: { id: string; hash: string; view: Record<string, unknown> },
  state: ViewState,
  action: ClickedAction,
): string {
  return form({
    type: "block_actions",
    ...common(user),
    container: { type: "view", view_id: opened.id },
    view: viewPayload(opened, state),
    actions: [{ ...action, action_ts: actionTs() }],
  });
}

export function viewSubmissionBody(user: Person, opened: OpenedView, state: ViewState): string {
  return form({ type: "view_submission", ...common(user), view: viewPayload(opened, state) });
}

/** Events API bodies are JSON, unlike interactivity payloads. */
export function appHomeOpenedBody(userId: string): string {
  const now = Date.now() / 1000;
  return JSON.stringify({
    token: "unused",
    team_id: TEAM.id,
    api_app_id: APP_ID,
    type: "event_callback",
    event_id: `Ev${randomBytes(5).toString("hex").toUpperCase()}`,
    event_time: Math.floor(now),
    event: { type: "app_home_opened", user: userId, channel: `D${userId}`, tab: "home", event_ts: now.toFixed(6) },
  });
}

function form(payload: Record<string, unknown>): string {
  return new URLSearchParams({ payload: JSON.stringify(payload) }).toString();
}

function handleOf(user: Person): string {
  return user.name.toLowerCase().replace(/\s+/g, ".");
}

function actionTs(): string {
  return (Date.now() / 1000).toFixed(6);
}
