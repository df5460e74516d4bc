import { z } from "zod";
import {
  appHomeOpenedBody,
  type ClickedAction,
  messageActionBody,
  slashCommandBody,
  viewActionBody,
  viewSubmissionBody,
} from "./payloads.js";
import { type BotAnswer, isRecord, type SlackRelay } from "./relay.js";
import type { Workspace } from "./workspace.js";

/** What the page sends; checked here, where it enters, so the payload builders can trust it. */
const option = z.object({ value: z.string(), text: z.object({ type: z.literal("plain_text"), text: z.string() }) });
const elementState = z.union([
  z.object({ type: z.string(), selected_option: option.nullable() }),
  z.object({ type: z.string(), value: z.string().nullable() }),
]);
const viewState = z.record(z.string(), z.record(z.string(), elementState));

export const commandInput = z.object({ user: z.string(), channel: z.string(), text: z.string().max(4000) });
export const actionInput = z.object({
  user: z.string(),
  actionId: z.string(),
  blockId: z.string(),
  channel: z.string().optional(),
  ts: z.string().optional(),
  /** A modal's id, or "home" for the App Home tab. */
  viewId: z.string().optional(),
  selectedOption: option.optional(),
  state: viewState.default({}),
});
export const submitInput = z.object({ user: z.string(), viewId: z.string(), state: viewState });
export const viewInput = z.object({ user: z.string(), viewId: z.string() });
export const userInput = z.object({ user: z.string() });

export class PlaygroundError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

export interface ApiAnswer {
  status: number;
  /** Field errors of a modal, keyed by block id, as the bot returned them. */
  errors?: Record<string, string>;
}

/** Turns each page gesture into the Slack payload the bot would receive from Slack. */
export class PlaygroundApi {
  constructor(
    private readonly workspace: Workspace,
    private readonly relay: SlackRelay,
  ) {}

  async command(input: z.infer<typeof commandInput>): Promise<ApiAnswer> {
    const user = this.person(input.user);
    const channel = this.workspace.channel(input.channel);
    if (!channel) throw new PlaygroundError(404, `no channel ${input.channel}`);
    const text = input.text.replace(/^\s*\/jit\b/, "").trim();
    const answer = await this.relay.send(slashCommandBody(user, channel, text));
    // Slack shows a command's HTTP answer as an ephemeral message where it was typed.
    const body = answer.json;
    if (answer.status === 200 && body && (typeof body.text === "string" || Array.isArray(body.blocks))) {
      const blocks = Array.isArray(body.blocks) ? body.blocks : [];
      this.workspace.slack.addEphemeral(channel.id, user.id, String(body.text ?? ""), blocks);
    }
    return { status: answer.status };
  }

  async action(input: z.infer<typeof actionInput>): Promise<ApiAnswer> {
    const user = this.person(input.user);
    let answer: BotAnswer;
    if (input.viewId) {
      const opened = this.view(user.id, input.viewId);
      const clicked = clickedAction(opened.view.blocks, input);
      answer = await this.relay.send(viewActionBody(user, opened, input.state, clicked));
    } else {
      const message = this.workspace.message(input.channel ?? "", input.ts ?? "", user.id);
      if (!message) throw new PlaygroundError(404, "that message is gone");
      answer = await this.relay.send(messageActionBody(user, message, clickedAction(message.blocks, input)));
    }
    return { status: answer.status };
  }

  async submit(input: z.infer<typeof submitInput>): Promise<ApiAnswer> {
    const user = this.person(input.user);
    const opened = this.workspace.openModal(user.id);
    if (!opened || opened.id !== input.viewId) throw new PlaygroundError(409, "that form is no longer open");
    const answer = await this.relay.send(viewSubmissionBody(user, opened, input.state));
    if (answer.status !== 200) return { status: answer.status };
    const body = answer.json ?? {};
    switch (body.response_action) {
      case "errors":
        return { status: 200, errors: stringRecord(body.errors) };
      case "update":
        if (isRecord(body.view)) this.workspace.slack.replaceView(opened.id, body.view);
        break;
      case "push":
        if (isRecord(body.view)) this.workspace.slack.openViewFor(user.id, body.view);
        break;
      case "clear":
        this.workspace.closeModal(user.id, opened.id, true);
        break;
      default:
        this.workspace.closeModal(user.id, opened.id);
    }
    return { status: 200 };
  }

  close(input: z.infer<typeof viewInput>): ApiAnswer {
    this.workspace.closeModal(this.person(input.user).id, input.viewId);
    return { status: 200 };
  }

  async openHome(input: z.infer<typeof userInput>): Promise<ApiAnswer> {
    const user = this.person(input.user);
    const answer = await this.relay.send(appHomeOpenedBody(user.id), "application/json");
    return { status: answer.status };
  }

  private person(id: string) {
    const person = this.workspace.person(id);
    if (!person) throw new PlaygroundError(404, `no playground user ${id}`);
    return person;
  }

  private view(userId: string, viewId: string) {
    if (viewId === "home") {
      const home = this.workspace.slack.homes.get(userId);
      if (!home) throw new PlaygroundError(404, "the App Home is not published yet");
      return { id: this.workspace.slack.homeIdOf(userId), hash: "home", view: home };
    }
    const opened = this.workspace.slack.views.get(viewId);
    if (!opened || opened.userId !== userId) throw new PlaygroundError(404, "that form is no longer open");
    return opened;
  }
}

type Element = { type?: unknown; action_id?: unknown; value?: unknown };

/** The clicked element is looked up in the bot's own blocks: a button's value is never the page's word. */
function clickedAction(blocks: unknown, input: z.infer<typeof actionInput>): ClickedAction {
  for (const [index, block] of (Array.isArray(blocks) ? blocks : []).entries()) {
    // Slack names blocks the bot left unnamed; the page uses the same `auto-<index>` rule.
    if (!isRecord(block) || String(block.block_id ?? `auto-${index}`) !== input.blockId) continue;
    const elements: unknown[] = [
      ...(Array.isArray(block.elements) ? block.elements : []),
      block.accessory,
      block.element,
    ];
    const element = elements.find((e): e is Element => isRecord(e) && e.action_id === input.actionId);
    if (!element) continue;
    const type = String(element.type);
    return {
      type,
      action_id: input.actionId,
      block_id: input.blockId,
      ...(typeof element.value === "string" ? { value: element.value } : {}),
      ...(input.selectedOption ? { selected_option: input.selectedOption } : {}),
    };
  }
  throw new PlaygroundError(404, `no element ${input.actionId} in block ${input.blockId}`);
}

function stringRecord(value: unknown): Record<string, string> {
  if (!isRecord(value)) return {};
  return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, String(v)]));
}
