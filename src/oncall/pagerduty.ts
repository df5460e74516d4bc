import { getJson, isRecord } from "./http.js";
import type { OnCallAnswer, OnCallSource } from "./types.js";

export const PAGERDUTY_API_URL = "https://api.pagerduty.com";
/** developer.pagerduty.com "Pagination": `limit` "cannot exceed 100". */
const PAGE = 100;
/** "the sum of the offset and limit parameters cannot exceed 10000": stop before PagerDuty refuses. */
const MAX_OFFSET = 10_000 - PAGE;

/**
 * PagerDuty REST API v2, `GET /oncalls` (developer.pagerduty.com/api-reference, "List all of the
 * on-calls"): who is on call now for one schedule, with `include[]=users` so each entry carries the
 * user's email (a bare user_reference has none). No `since`/`until`: both default to now.
 */
export class PagerDutyOnCall implements OnCallSource {
  readonly provider = "pagerduty" as const;

  constructor(
    private readonly token: string,
    private readonly apiUrl: string = PAGERDUTY_API_URL,
  ) {}

  async onCallNow(scheduleId: string, signal: AbortSignal): Promise<OnCallAnswer> {
    const emails = new Set<string>();
    let scheduleName: string | undefined;
    for (let offset = 0; offset <= MAX_OFFSET; offset += PAGE) {
      const url = new URL("oncalls", this.apiUrl.endsWith("/") ? this.apiUrl : `${this.apiUrl}/`);
      url.searchParams.append("schedule_ids[]", scheduleId);
      url.searchParams.append("include[]", "users");
      url.searchParams.set("limit", String(PAGE));
      url.searchParams.set("offset", String(offset));
      const answer = await getJson(
        url,
        {
          // "Token token=<API_KEY>", exactly: any other form is a 401 (REST API "Authentication").
          Authorization: `Token token=${this.token}`,
          Accept: "application/vnd.pagerduty+json;version=2",
        },
        signal,
        scheduleId,
        // PagerDuty documents `ratelimit-reset` (seconds) on a 429, and no Retry-After.
        ["ratelimit-reset", "retry-after"],
      );
      if (!answer.ok) return answer;
      const page = readPage(answer.body);
      if (!page) return { ok: false, failure: { code: "BAD_ANSWER" } };
      for (const entry of page.oncalls) {
        if (entry.scheduleId !== scheduleId) continue;
        scheduleName ??= entry.scheduleName;
        if (entry.email) emails.add(entry.email.toLowerCase());
      }
      if (!page.more) break;
    }
    return { ok: true, value: { scheduleId, scheduleName: scheduleName ?? scheduleId, emails: [...emails] } };
  }
}

interface Entry {
  scheduleId: string | undefined;
  scheduleName: string | undefined;
  email: string | undefined;
}

/** `{oncalls: [{user: {email}, schedule: {id, summary}}], more}`; anything else is not PagerDuty. */
function readPage(body: unknown): { oncalls: Entry[]; more: boolean } | undefined {
  if (!isRecord(body) || !Array.isArray(body.oncalls) || typeof body.more !== "boolean") return undefined;
  const oncalls: Entry[] = [];
  for (const item of body.oncalls) {
    if (!isRecord(item)) return undefined;
    const user = isRecord(item.user) ? item.user : {};
    const schedule = isRecord(item.schedule) ? item.schedule : {};
    oncalls.push({
      scheduleId: typeof schedule.id === "string" ? schedule.id : undefined,
      scheduleName: typeof schedule.summary === "string" && schedule.summary ? schedule.summary : undefined,
      email: typeof user.email === "string" ? user.email : undefined,
    });
  }
  return { oncalls, more: body.more };
}
