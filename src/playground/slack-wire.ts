import type { IncomingMessage } from "node:http";

/** The playground workspace's data, and Slack's Web API wire encoding (form or JSON bodies). */
export interface FakeUser {
  id: string;
  name: string;
  email?: string;
  groups?: string[];
  isBot?: boolean;
}

export interface PostedMessage {
  channel: string;
  ts: string;
  text: string;
  blocks: unknown[];
  user: string;
  /** Set for chat.postEphemeral: only this user sees it. */
  ephemeralFor?: string;
  thread_ts?: string;
  edited?: boolean;
  /** Wall-clock ms when posted: `ts` here is a counter, and the playground shows real times. */
  postedAt?: number;
}

export interface OpenedView {
  id: string;
  hash: string;
  userId: string;
  view: Record<string, unknown>;
}

export interface RecordedCall {
  method: string;
  args: Record<string, unknown>;
}

export const BOT_USER_ID = "U0JITBOT";
const JSON_FIELDS = new Set(["blocks", "view", "attachments", "users"]);

export function dmChannelOf(userId: string): string {
  return `D${userId}`;
}

export async function readBody(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString("utf8");
}

export function parseBody(body: string, contentType: string): Record<string, unknown> {
  if (!body) return {};
  if (contentType.includes("application/json")) return JSON.parse(body) as Record<string, unknown>;
  const args: Record<string, unknown> = {};
  for (const [key, value] of new URLSearchParams(body)) {
    args[key] = JSON_FIELDS.has(key) && /^[[{]/.test(value) ? JSON.parse(value) : value;
  }
  return args;
}
