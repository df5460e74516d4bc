import type { Policy } from "../config/schema.js";
import { KEY_VARIABLE, type OnCallProvider, PROVIDER_NAME } from "../oncall/config.js";
import { onCallSources } from "../oncall/env.js";
import { DeadlinePassed } from "../oncall/http.js";
import { failureSentence, type OnCallFailure } from "../oncall/types.js";
import { type CheckRow, failed, ok } from "./report.js";

const TIMEOUT_MS = 5_000;

const FIX: Record<OnCallFailure["code"], string> = {
  NOT_CONFIGURED: "set the key (README → Configuration reference → Environment)",
  UNAUTHORIZED: "the key is wrong or revoked: create a read-only key and set it again",
  FORBIDDEN: "let the key's team (Opsgenie integration) or user (PagerDuty) see this schedule",
  SCHEDULE_NOT_FOUND: "check the schedule id in approval.autoApproveOnCall.schedules",
  RATE_LIMITED: "another client shares the key's rate limit: give jitbot a key of its own",
  TIMEOUT: "check egress to the service (and PAGERDUTY_API_URL / OPSGENIE_API_URL)",
  UNREACHABLE: "check egress to the service (and PAGERDUTY_API_URL / OPSGENIE_API_URL)",
  SERVER_ERROR: "the service's status page may explain; jitbot falls back to approvers meanwhile",
  BAD_ANSWER: "check that PAGERDUTY_API_URL / OPSGENIE_API_URL point at the service's API",
};

/** Each schedule named by an `autoApproveOnCall`, asked once with the configured key: who is on call now. */
export async function onCallChecks(env: NodeJS.ProcessEnv, policy: Policy): Promise<CheckRow[]> {
  const wanted = new Map<string, { provider: OnCallProvider; schedule: string }>();
  for (const profile of policy.profiles) {
    const setting = profile.approval.autoApproveOnCall;
    for (const schedule of setting?.schedules ?? []) {
      if (setting) wanted.set(`${setting.provider}:${schedule}`, { provider: setting.provider, schedule });
    }
  }
  const sources = onCallSources(env);
  const rows: CheckRow[] = [];
  for (const { provider, schedule } of wanted.values()) {
    const check = `${PROVIDER_NAME[provider]} schedule`;
    const source = sources[provider];
    if (!source) {
      rows.push(failed(check, schedule, `${KEY_VARIABLE[provider]} is not set`, FIX.NOT_CONFIGURED));
      continue;
    }
    const controller = new AbortController();
    const timer = setTimeout(() => controller.abort(new DeadlinePassed(TIMEOUT_MS)), TIMEOUT_MS);
    const answer = await source.onCallNow(schedule, controller.signal).finally(() => clearTimeout(timer));
    if (answer.ok) {
      const people = answer.value.emails.length;
      rows.push(ok(check, schedule, `"${answer.value.scheduleName}": ${people} on call now`));
    } else {
      rows.push(failed(check, schedule, failureSentence(provider, answer.failure), FIX[answer.failure.code]));
    }
  }
  return rows;
}
