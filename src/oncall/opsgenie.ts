import { getJson, isRecord } from "./http.js";
import type { OnCallAnswer, OnCallSource } from "./types.js";

/** The US instance; EU accounts set OPSGENIE_API_URL=https://api.eu.opsgenie.com. */
export const OPSGENIE_API_URL = "https://api.opsgenie.com";

/**
 * Opsgenie's Who Is On Call API (docs.opsgenie.com/docs/who-is-on-call-api), `GET
 * /v2/schedules/{id}/on-calls?flat=true`: `data.onCallRecipients` lists the usernames on call now,
 * and an Opsgenie username is the user's email (User API: "username … E-mail address of the user").
 * The answer is one object, not a list: there is nothing to page.
 */
export class OpsgenieOnCall implements OnCallSource {
  readonly provider = "opsgenie" as const;

  constructor(
    private readonly apiKey: string,
    private readonly apiUrl: string = OPSGENIE_API_URL,
  ) {}

  async onCallNow(scheduleId: string, signal: AbortSignal): Promise<OnCallAnswer> {
    const base = this.apiUrl.endsWith("/") ? this.apiUrl : `${this.apiUrl}/`;
    const url = new URL(`v2/schedules/${encodeURIComponent(scheduleId)}/on-calls`, base);
    url.searchParams.set("scheduleIdentifierType", "id");
    url.searchParams.set("flat", "true");
    const answer = await getJson(
      url,
      { Authorization: `GenieKey ${this.apiKey}`, Accept: "application/json" },
      signal,
      scheduleId,
      // docs.opsgenie.com "API Rate Limiting": X-RateLimit-Period-In-Sec; no Retry-After is documented.
      ["x-ratelimit-period-in-sec", "retry-after"],
    );
    if (!answer.ok) return answer;
    const data = isRecord(answer.body) ? answer.body.data : undefined;
    if (!isRecord(data) || !Array.isArray(data.onCallRecipients)) return { ok: false, failure: { code: "BAD_ANSWER" } };
    const parent = isRecord(data._parent) ? data._parent : {};
    const emails = data.onCallRecipients.filter((r): r is string => typeof r === "string").map((r) => r.toLowerCase());
    return {
      ok: true,
      value: {
        scheduleId,
        scheduleName: typeof parent.name === "string" && parent.name ? parent.name : scheduleId,
        emails: [...new Set(emails)],
      },
    };
  }
}
