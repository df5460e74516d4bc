import { randomBytes, randomInt } from "node:crypto";
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
  /** Wall-clock ms when posted: `ts` here is random, and the playground shows real times. */
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

/*
 * Ids the playground hands out are random, never counters: its page API finds a message by
 * channel and ts and a view by id, so a sequence would let a caller name what it was never shown.
 */
const ID_ALPHABET = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ";

/** Slack's view ids are `V` and upper-case letters and digits; 14 random ones are 72 bits. */
export function viewId(): string {
  return `V${Array.from({ length: 14 }, () => ID_ALPHABET[randomInt(ID_ALPHABET.length)]).join("")}`;
}

/** Changes with every update, so a submission of an outdated view can be told apart (views.update `hash`). */
export function viewHash(): string {
  return `${Math.floor(Date.now() / 1000)}.${randomBytes(8).toString("hex")}`;
}

/** Slack's shape (`1700000000.000000`) with 48 random bits. */
export function randomTs(): string {
  return `${1_700_000_000 + randomInt(2 ** 28)}.${String(randomInt(1_000_000)).padStart(6, "0")}`;
}
