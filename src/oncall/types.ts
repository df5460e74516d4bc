import { type OnCallProvider, PROVIDER_NAME } from "./config.js";

/** Who one schedule has on call right now, as its service answered. */
export interface OnCallNow {
  scheduleId: string;
  /** The schedule's name in the service (typed by its admins: escape before mrkdwn); the id when it gave none. */
  scheduleName: string;
  /** Lower-cased emails (PagerDuty user emails, Opsgenie usernames, which are emails). */
  emails: string[];
}

/** Why an on-call service gave no answer. Each maps to one sentence (`failureSentence`). */
export type OnCallFailure =
  | { code: "NOT_CONFIGURED"; variable: string }
  | { code: "UNAUTHORIZED" }
  | { code: "FORBIDDEN" }
  | { code: "SCHEDULE_NOT_FOUND"; scheduleId: string }
  | { code: "RATE_LIMITED"; retryAfterSeconds: number | undefined }
  | { code: "TIMEOUT"; timeoutMs: number }
  | { code: "UNREACHABLE" }
  | { code: "SERVER_ERROR"; status: number }
  | { code: "BAD_ANSWER" };

export type OnCallAnswer = { ok: true; value: OnCallNow } | { ok: false; failure: OnCallFailure };

/** One service's "who is on call for this schedule now". Never throws: failures are values. */
export interface OnCallSource {
  readonly provider: OnCallProvider;
  onCallNow(scheduleId: string, signal: AbortSignal): Promise<OnCallAnswer>;
}

/** The clause after "On-call auto-approval did not apply because …". No secret, no response body. */
export function failureSentence(provider: OnCallProvider, failure: OnCallFailure): string {
  const name = PROVIDER_NAME[provider];
  switch (failure.code) {
    case "NOT_CONFIGURED":
      return `jitbot has no ${name} key (${failure.variable} is not set)`;
    case "UNAUTHORIZED":
      return `${name} refused jitbot's API key (401)`;
    case "FORBIDDEN":
      return `${name} does not let jitbot's API key read the schedule (403)`;
    case "SCHEDULE_NOT_FOUND":
      return `${name} has no schedule ${failure.scheduleId}`;
    case "RATE_LIMITED":
      return `${name} is rate-limiting jitbot (429${failure.retryAfterSeconds === undefined ? "" : `, retry in ${failure.retryAfterSeconds}s`})`;
    case "TIMEOUT":
      return `${name} did not answer within ${failure.timeoutMs / 1000}s`;
    case "UNREACHABLE":
      return `${name} could not be reached`;
    case "SERVER_ERROR":
      return `${name} answered with an error (${failure.status})`;
    case "BAD_ANSWER":
      return `${name} sent an answer jitbot could not read`;
  }
}
