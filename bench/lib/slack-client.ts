import { randomBytes } from "node:crypto";
import { signedHeaders } from "../../src/slack/signing.js";
import { APPROVER, SIGNING_SECRET } from "./people.js";

/** Plays Slack against the bot: signed slash commands and button clicks, timed to the HTTP answer. */
export class BenchSlackClient {
  constructor(private readonly botUrl: string) {}

  /** Milliseconds until the bot answered; throws on anything but 200 (a crash, not slowness). */
  async post(body: string): Promise<number> {
    const started = performance.now();
    const res = await fetch(`${this.botUrl}/slack/events`, {
      method: "POST",
      headers: { "content-type": "application/x-www-form-urlencoded", ...signedHeaders(SIGNING_SECRET, body) },
      body,
    });
    await res.arrayBuffer();
    const elapsed = performance.now() - started;
    if (res.status !== 200) throw new Error(`bot answered HTTP ${res.status}`);
    return elapsed;
  }

  command(userId: string, text: string): Promise<number> {
    return this.post(commandBody(userId, text));
  }

  approve(requestId: string, channel = "C0APPROVALS", messageTs = "1700000000.000100"): Promise<number> {
    return this.post(approveBody(requestId, channel, messageTs));
  }
}

export function commandBody(userId: string, text: string): string {
  return new URLSearchParams({
    token: "unused",
    team_id: "T0PLAY",
    team_domain: "playground",
    channel_id: "C0GENERAL",
    channel_name: "general",
    user_id: userId,
    user_name: userId.toLowerCase(),
    command: "/jit",
    text,
    api_app_id: "A0JITBOT",
    response_url: "http://127.0.0.1:9/unused",
    trigger_id: triggerId(userId),
  }).toString();
}

/** The Approve click on a request's approval message, as Slack sends it. */
export function approveBody(requestId: string, channel: string, messageTs: string, userId = APPROVER): string {
  const payload = {
    type: "block_actions",
    team: { id: "T0PLAY", domain: "playground" },
    user: { id: userId, username: userId.toLowerCase(), team_id: "T0PLAY" },
    api_app_id: "A0JITBOT",
    token: "unused",
    container: { type: "message", message_ts: messageTs, channel_id: channel, is_ephemeral: false },
    trigger_id: triggerId(userId),
    channel: { id: channel, name: channel },
    message: { type: "message", ts: messageTs, text: "approval" },
    response_url: "http://127.0.0.1:9/unused",
    actions: [{ type: "button", action_id: "jit_approve", block_id: "decision", value: requestId, action_ts: "1" }],
  };
  return new URLSearchParams({ payload: JSON.stringify(payload) }).toString();
}

function triggerId(userId: string): string {
  return `${userId}.${randomBytes(6).toString("hex")}`;
}
