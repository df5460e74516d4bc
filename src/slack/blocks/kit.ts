import type { HomeView, ModalView } from "@slack/types";
import { truncate, truncateMrkdwn } from "../escape.js";
/** Minimal Block Kit types: what jitbot builds, typed loosely enough to stay readable. */
export interface TextObject {
  type: "plain_text" | "mrkdwn";
  text: string;
  emoji?: boolean;
}

export type Block = { type: string; block_id?: string; [key: string]: unknown };

export interface View {
  type: "modal" | "home";
  callback_id?: string;
  private_metadata?: string;
  title?: TextObject;
  submit?: TextObject;
  close?: TextObject;
  blocks: Block[];
  [key: string]: unknown;
}

export const plain = (text: string) => ({ type: "plain_text" as const, text, emoji: true });
export const mrkdwn = (text: string): TextObject => ({ type: "mrkdwn", text });

/**
 * Slack's documented limits (docs.slack.dev/reference/block-kit), counted on the text as sent: the
 * builders escape first, and these cut last, never through an entity or a token.
 */
export const LIMIT = {
  sectionText: 3000,
  sectionField: 2000,
  sectionFields: 10,
  contextText: 3000,
  headerText: 150,
  buttonText: 75,
  confirmTitle: 100,
  confirmText: 300,
  confirmButton: 30,
  messageBlocks: 50,
  viewBlocks: 100,
  /** chat.postMessage asks to keep `text` to 4,000 characters (it truncates at 40,000). */
  messageText: 4000,
} as const;

export const header = (text: string): Block => ({ type: "header", text: plain(truncate(text, LIMIT.headerText)) });
export const section = (text: string, extra: Partial<Block> = {}): Block => ({
  type: "section",
  text: mrkdwn(truncateMrkdwn(text, LIMIT.sectionText)),
  ...extra,
});
export const fields = (items: string[]): Block => ({
  type: "section",
  fields: items.slice(0, LIMIT.sectionFields).map((t) => mrkdwn(truncateMrkdwn(t, LIMIT.sectionField))),
});
export const context = (text: string): Block => ({
  type: "context",
  elements: [mrkdwn(truncateMrkdwn(text, LIMIT.contextText))],
});
export const divider = (): Block => ({ type: "divider" });

/** Lines grouped so each group, joined, fits one section's 3000 characters; a line is never split. */
export function packLines(lines: string[]): string[][] {
  const groups: string[][] = [];
  let size = 0;
  for (const line of lines) {
    const group = groups.at(-1);
    if (group && size + 1 + line.length <= LIMIT.sectionText) {
      group.push(line);
      size += 1 + line.length;
    } else {
      groups.push([line]);
      size = line.length;
    }
  }
  return groups;
}

export const sections = (lines: string[]): Block[] => packLines(lines).map((group) => section(group.join("\n")));

/**
 * Lines packed into at most `maxBlocks` blocks; when they do not all fit, the last block says how
 * many were left out (`more` words it), so a long list is never silently cut.
 */
export function boundedSections(lines: string[], maxBlocks: number, more: (left: number) => string): Block[] {
  const groups = packLines(lines);
  if (groups.length <= maxBlocks) return groups.map((group) => section(group.join("\n")));
  const kept = groups.slice(0, maxBlocks - 1);
  const shown = kept.reduce((n, group) => n + group.length, 0);
  return [...kept.map((group) => section(group.join("\n"))), context(more(lines.length - shown))];
}

/** The notification text of a message: mrkdwn like the blocks, so escaped by the caller, then cut. */
export const messageText = (text: string): string => truncateMrkdwn(text, LIMIT.messageText);

export interface ButtonOptions {
  style?: "primary" | "danger";
  confirm?: { title: string; text: string; confirm: string; deny: string };
  url?: string;
}

export function button(text: string, actionId: string, value: string, options: ButtonOptions = {}) {
  return {
    type: "button",
    text: plain(truncate(text, LIMIT.buttonText)),
    action_id: actionId,
    value,
    ...(options.style ? { style: options.style } : {}),
    ...(options.url ? { url: options.url } : {}),
    ...(options.confirm
      ? {
          confirm: {
            title: plain(truncate(options.confirm.title, LIMIT.confirmTitle)),
            text: mrkdwn(truncateMrkdwn(options.confirm.text, LIMIT.confirmText)),
            confirm: plain(truncate(options.confirm.confirm, LIMIT.confirmButton)),
            deny: plain(truncate(options.confirm.deny, LIMIT.confirmButton)),
          },
        }
      : {}),
  };
}

export const actions = (blockId: string, elements: object[]): Block => ({
  type: "actions",
  block_id: blockId,
  elements,
});

/** The one place jitbot's loosely typed views meet the SDK's strict view types. */
export function asSlackView(view: View): ModalView | HomeView {
  return view as ModalView | HomeView;
}
