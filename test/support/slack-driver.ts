import { randomBytes } from "node:crypto";
import type { FakeSlackWebApi, OpenedView, PostedMessage } from "../../src/playground/slack-web-api.js";
import { signedHeaders } from "../../src/slack/signing.js";

type Block = { type: string; block_id?: string; elements?: Element[]; accessory?: Element; element?: Element };
type Element = {
  type: string;
  action_id?: string;
  value?: string;
  options?: { value: string; text: unknown }[];
  option_groups?: { options: { value: string; text: unknown }[] }[];
};

export interface BotResponse {
  status: number;
  json: Record<string, unknown> | undefined;
  text: string;
}

/** Plays Slack: sends signed slash commands, clicks and submissions to the bot, as Slack would. */
export class SlackDriver {
  constructor(
    private readonly botUrl: string,
    private readonly signingSecret: string,
    private readonly slack: FakeSlackWebApi,
  ) {}

  async post(
    body: string,
    contentType: string,
    headers: Record<string, string> = signedHeaders(this.signingSecret, body),
  ) {
    const res = await fetch(`${this.botUrl}/slack/events`, {
      method: "POST",
      headers: { "content-type": contentType, ...headers },
      body,
    });
    const text = await res.text();
    let json: Record<string, unknown> | undefined;
    try {
      json = text ? (JSON.parse(text) as Record<string, unknown>) : undefined;
    } catch {
      json = undefined;
    }
    return { status: res.status, json, text } satisfies BotResponse;
  }

  triggerId(userId: string): string {
    return `${userId}.${randomBytes(6).toString("hex")}`;
  }

  command(userId: string, text: string, channelId = "C0GENERAL"): Promise<BotResponse> {
    const body = new URLSearchParams({
      token: "verification-token-unused",
      team_id: "T0PLAY",
      team_domain: "playground",
      channel_id: channelId,
      channel_name: "general",
      user_id: userId,
      user_name: userId.toLowerCase(),
      command: "/jit",
      text,
      api_app_id: "A0JITBOT",
      response_url: "http://127.0.0.1:9/unused",
      trigger_id: this.triggerId(userId),
    }).toString();
    return this.post(body, "application/x-www-form-urlencoded");
  }

  interact(payload: Record<string, unknown>): Promise<BotResponse> {
    const body = new URLSearchParams({ payload: JSON.stringify(payload) }).toString();
    return this.post(body, "application/x-www-form-urlencoded");
  }

  /** Clicks the button `actionId` on a posted message (in a channel or DM). */
  click(userId: string, message: PostedMessage, actionId: string): Promise<BotResponse> {
    const found = findElement(message.blocks as Block[], actionId);
    if (!found) throw new Error(`no ${actionId} button on message ${message.ts}`);
    return this.interact({
      type: "block_actions",
      team: { id: "T0PLAY", domain: "playground" },
      user: { id: userId, username: userId.toLowerCase(), team_id: "T0PLAY" },
      api_app_id: "A0JITBOT",
      token: "unused",
      container: { type: "message", message_ts: message.ts, channel_id: message.channel, is_ephemeral: false },
      trigger_id: this.triggerId(userId),
      channel: { id: message.channel, name: message.channel },
      message: { type: "message", ts: message.ts, text: message.text, blocks: message.blocks },
      response_url: "http://127.0.0.1:9/unused",
      actions: [
        { type: "button", action_id: actionId, block_id: found.blockId, value: found.element.value, action_ts: "1" },
      ],
    });
  }

  /** Submits a modal with the given values per input block (select values are option values). */
  submit(userId: string, opened: OpenedView, values: Record<string, string | undefined>): Promise<BotResponse> {
    const state: Record<string, Record<string, unknown>> = {};
    for (const block of opened.view.blocks as Block[]) {
      if (block.type !== "input" || !block.block_id || !block.element) continue;
      const value = values[block.block_id];
      const element = block.element;
      // Selects and radio buttons send the chosen option; text inputs their value.
      const isSelect = element.type.endsWith("select") || element.type === "radio_buttons";
      state[block.block_id] = {
        value: isSelect
          ? {
              type: element.type,
              selected_option: value === undefined ? null : { value, text: { type: "plain_text", text: value } },
            }
          : { type: element.type, value: value ?? null },
      };
    }
    return this.interact({
      type: "view_submission",
      team: { id: "T0PLAY", domain: "playground" },
      user: { id: userId, username: userId.toLowerCase(), team_id: "T0PLAY" },
      api_app_id: "A0JITBOT",
      token: "unused",
      trigger_id: this.triggerId(userId),
      view: {
        id: opened.id,
        hash: opened.hash,
        type: "modal",
        callback_id: opened.view.callback_id,
        private_metadata: opened.view.private_metadata ?? "",
        team_id: "T0PLAY",
        app_id: "A0JITBOT",
        bot_id: "B0JITBOT",
        blocks: opened.view.blocks,
        state: { values: state },
        title: opened.view.title,
      },
    });
  }

  /** The last modal opened for a user. */
  lastView(userId: string): OpenedView {
    const views = [...this.slack.views.values()].filter((v) => v.userId === userId);
    const last = views.at(-1);
    if (!last) throw new Error(`no view opened for ${userId}`);
    return last;
  }
}

function findElement(blocks: Block[], actionId: string): { blockId: string; element: Element } | undefined {
  for (const block of blocks) {
    for (const element of [...(block.elements ?? []), ...(block.accessory ? [block.accessory] : [])]) {
      if (element.action_id === actionId) return { blockId: block.block_id ?? "", element };
    }
  }
  return undefined;
}

/** Every piece of text in a message's blocks, for assertions. */
export function textOf(message: { text: string; blocks: unknown[] }): string {
  return `${message.text}\n${JSON.stringify(message.blocks)}`;
}
