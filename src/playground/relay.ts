import { signedHeaders } from "../slack/signing.js";

export interface BotAnswer {
  status: number;
  /** The JSON body of the ack (a command's ephemeral answer, a submission's response_action). */
  json: Record<string, unknown> | undefined;
}

/**
 * Sends a body to the bot's own /slack/events, signed with the playground's secret, exactly as
 * Slack would: a click in the page takes the production path through Bolt's signature check.
 */
export class SlackRelay {
  constructor(
    private readonly signingSecret: string,
    private readonly botUrl: () => string,
  ) {}

  async send(body: string, contentType = "application/x-www-form-urlencoded"): Promise<BotAnswer> {
    const res = await fetch(`${this.botUrl()}/slack/events`, {
      method: "POST",
      headers: { "content-type": contentType, ...signedHeaders(this.signingSecret, body) },
      body,
      // Slack gives up after 3 seconds; waiting longer would hide a slow ack from the person.
      signal: AbortSignal.timeout(3_000),
    });
    const text = await res.text();
    return { status: res.status, json: parseObject(text) };
  }
}

function parseObject(text: string): Record<string, unknown> | undefined {
  if (!text.trim()) return undefined;
  try {
    const value: unknown = JSON.parse(text);
    return isRecord(value) ? value : undefined;
  } catch {
    return undefined;
  }
}

export function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}
