import type { OnCallFailure } from "./types.js";

export type JsonAnswer = { ok: true; body: unknown } | { ok: false; failure: OnCallFailure };

/** Raised by the lookup's deadline (the injected clock), told apart from a dropped connection. */
export class DeadlinePassed extends Error {
  constructor(readonly timeoutMs: number) {
    super(`no answer within ${timeoutMs} ms`);
    this.name = "DeadlinePassed";
  }
}

/**
 * One GET of an on-call API: the answer's JSON, or the failure as a value. The body is read under
 * the same signal, so a service that sends headers and then stalls still ends at the deadline.
 * `rateLimitHeaders` are the service's own names for "seconds until you may retry", in order.
 */
export async function getJson(
  url: URL,
  headers: Record<string, string>,
  signal: AbortSignal,
  scheduleId: string,
  rateLimitHeaders: string[],
): Promise<JsonAnswer> {
  let response: Response;
  let text: string;
  try {
    response = await fetch(url, { headers, signal, redirect: "error" });
    text = await response.text();
  } catch {
    const reason: unknown = signal.reason;
    if (signal.aborted && reason instanceof DeadlinePassed) {
      return { ok: false, failure: { code: "TIMEOUT", timeoutMs: reason.timeoutMs } };
    }
    return { ok: false, failure: { code: "UNREACHABLE" } };
  }
  const status = response.status;
  if (status === 401) return { ok: false, failure: { code: "UNAUTHORIZED" } };
  if (status === 403) return { ok: false, failure: { code: "FORBIDDEN" } };
  if (status === 404) return { ok: false, failure: { code: "SCHEDULE_NOT_FOUND", scheduleId } };
  if (status === 429) {
    return { ok: false, failure: { code: "RATE_LIMITED", retryAfterSeconds: seconds(response, rateLimitHeaders) } };
  }
  if (status < 200 || status > 299) return { ok: false, failure: { code: "SERVER_ERROR", status } };
  try {
    return { ok: true, body: JSON.parse(text) as unknown };
  } catch {
    return { ok: false, failure: { code: "BAD_ANSWER" } };
  }
}

function seconds(response: Response, names: string[]): number | undefined {
  for (const name of names) {
    const value = Number(response.headers.get(name) ?? Number.NaN);
    if (Number.isFinite(value) && value >= 0) return Math.ceil(value);
  }
  return undefined;
}

export const isRecord = (value: unknown): value is Record<string, unknown> =>
  typeof value === "object" && value !== null && !Array.isArray(value);
