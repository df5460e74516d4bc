import { Agent, request } from "node:http";
import { messageActionBody, slashCommandBody } from "../../src/playground/payloads.js";
import { BOT_USER_ID } from "../../src/playground/slack-web-api.js";
import { GENERAL_CHANNEL } from "../../src/playground/workspace.js";
import { ACTION } from "../../src/slack/ids.js";
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

/** A person as the playground's payload builders want one: the bench's people are ids only. */
const person = (id: string) => ({ id, name: id });

export function commandBody(userId: string, text: string): string {
  return slashCommandBody(person(userId), GENERAL_CHANNEL, text);
}

/** The Approve click on a request's approval message, as Slack sends it. */
export function approveBody(requestId: string, channel: string, messageTs: string, userId = APPROVER): string {
  const message = { channel, ts: messageTs, text: "approval", blocks: [], user: BOT_USER_ID };
  return messageActionBody(person(userId), message, {
    type: "button",
    action_id: ACTION.approve,
    block_id: "decision",
    value: requestId,
  });
}
