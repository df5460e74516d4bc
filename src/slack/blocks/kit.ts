import type { HomeView, ModalView } from "@slack/types";
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

export const header = (text: string): Block => ({ type: "header", text: plain(text.slice(0, 150)) });
export const section = (text: string, extra: Partial<Block> = {}): Block => ({
  type: "section",
  text: mrkdwn(text.slice(0, 3000)),
  ...extra,
});
export const fields = (items: string[]): Block => ({
  type: "section",
  fields: items.slice(0, 10).map((t) => mrkdwn(t.slice(0, 2000))),
});
export const context = (text: string): Block => ({ type: "context", elements: [mrkdwn(text.slice(0, 3000))] });
export const divider = (): Block => ({ type: "divider" });

export interface ButtonOptions {
  style?: "primary" | "danger";
  confirm?: { title: string; text: string; confirm: string; deny: string };
  url?: string;
}

export function button(text: string, actionId: string, value: string, options: ButtonOptions = {}) {
  return {
    type: "button",
    text: plain(text),
    action_id: actionId,
    value,
    ...(options.style ? { style: options.style } : {}),
    ...(options.url ? { url: options.url } : {}),
    ...(options.confirm
      ? {
          confirm: {
            title: plain(options.confirm.title),
            text: mrkdwn(options.confirm.text),
            confirm: plain(options.confirm.confirm),
            deny: plain(options.confirm.deny),
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
