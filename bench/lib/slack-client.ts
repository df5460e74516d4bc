import { randomBytes } from "node:crypto";
import { Agent, request } from "node:http";
import { signedHeaders } from "../../src/slack/signing.js";
import { APPROVER, SIGNING_SECRET } from "./people.js";

/**
 * Plays Slack against the bot: signed slash commands and button clicks, timed to the HTTP answer.
 * Plain node:http over kept-alive sockets, not fetch: on a 2-core machine the load generator shares
 * the CPU with the bot, and fetch cost the generator ~0.9 ms per request (more than the bot's own
 * work for `/jit help`), which showed up as the bot's latency.
 */
export class BenchSlackClient {
  private readonly url: URL;
  private readonly agent = new Agent({ keepAlive: true, maxSockets: 256 });

  constructor(botUrl: string) {
    this.url = new URL("/slack/events", botUrl);
  }

  /** Milliseconds until the bot answered; throws on anything but 200 (a crash, not slowness). */
  post(body: string): Promise<number> {
    const headers = {
      "content-type": "application/x-www-form-urlencoded",
      "content-length": String(Buffer.byteLength(body)),
      ...signedHeaders(SIGNING_SECRET, body),
    };
    return new Promise((resolve, reject) => {
      const started = performance.now();
      const req = request(this.url, { method: "POST", headers, agent: this.agent }, (res) => {
        res.resume();
        res.on("error", reject);
        res.on("end", () => {
          const elapsed = performance.now() - started;
          if (res.statusCode !== 200) reject(new Error(`bot answered HTTP ${res.statusCode}`));
          else resolve(elapsed);
        });
      });
      req.on("error", reject);
      req.end(body);
    });
  }

  close(): void {
    this.agent.destroy();
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
