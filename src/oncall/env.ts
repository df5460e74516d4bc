import type { Policy } from "../config/schema.js";
import type { Clock } from "../domain/clock.js";
import { KEY_VARIABLE, type OnCallProvider, PROVIDER_NAME } from "./config.js";
import { OnCallLookup, type OnCallLookupOptions } from "./index.js";
import { OPSGENIE_API_URL, OpsgenieOnCall } from "./opsgenie.js";
import { PAGERDUTY_API_URL, PagerDutyOnCall } from "./pagerduty.js";
import type { OnCallSource } from "./types.js";

/**
 * The on-call services' keys and endpoints, read from the environment given (never at import):
 * PAGERDUTY_TOKEN and PAGERDUTY_API_URL; OPSGENIE_API_KEY and OPSGENIE_API_URL (the EU instance is
 * https://api.eu.opsgenie.com). The URLs default to the services' own and exist for tests too.
 */
export interface OnCallEnv {
  pagerduty: { token: string | undefined; apiUrl: string };
  opsgenie: { apiKey: string | undefined; apiUrl: string };
}

export function readOnCallEnv(env: NodeJS.ProcessEnv = process.env): OnCallEnv {
  return {
    pagerduty: {
      token: env.PAGERDUTY_TOKEN?.trim() || undefined,
      apiUrl: env.PAGERDUTY_API_URL?.trim() || PAGERDUTY_API_URL,
    },
    opsgenie: {
      apiKey: env.OPSGENIE_API_KEY?.trim() || undefined,
      apiUrl: env.OPSGENIE_API_URL?.trim() || OPSGENIE_API_URL,
    },
  };
}

const URL_VARIABLE: Record<OnCallProvider, string> = { pagerduty: "PAGERDUTY_API_URL", opsgenie: "OPSGENIE_API_URL" };

/** The clients for the keys that are set; a provider without one answers "not configured". */
export function onCallSources(env: NodeJS.ProcessEnv): Partial<Record<OnCallProvider, OnCallSource>> {
  const read = readOnCallEnv(env);
  const sources: Partial<Record<OnCallProvider, OnCallSource>> = {};
  if (read.pagerduty.token) sources.pagerduty = new PagerDutyOnCall(read.pagerduty.token, read.pagerduty.apiUrl);
  if (read.opsgenie.apiKey) sources.opsgenie = new OpsgenieOnCall(read.opsgenie.apiKey, read.opsgenie.apiUrl);
  return sources;
}

export function createOnCallLookup(env: NodeJS.ProcessEnv, clock: Clock, options?: OnCallLookupOptions): OnCallLookup {
  return new OnCallLookup(onCallSources(env), clock, options);
}

/**
 * One sentence per profile whose on-call auto-approval cannot work as configured: its service's
 * key is not set, or its base URL is not an http(s) URL. `check-config` refuses the file for them.
 */
export function onCallConfigProblems(policy: Policy, env: NodeJS.ProcessEnv = process.env): string[] {
  const read = readOnCallEnv(env);
  const problems: string[] = [];
  policy.profiles.forEach((profile, index) => {
    const provider = profile.approval.autoApproveOnCall?.provider;
    if (!provider) return;
    const where = `profiles[${index}].approval.autoApproveOnCall`;
    const key = provider === "pagerduty" ? read.pagerduty.token : read.opsgenie.apiKey;
    if (!key) {
      problems.push(
        `${where}: profile "${profile.id}" auto-approves ${PROVIDER_NAME[provider]} on-call engineers, but ${KEY_VARIABLE[provider]} is not set, so jitbot could never ask ${PROVIDER_NAME[provider]} who is on call.`,
      );
    }
    const url = provider === "pagerduty" ? read.pagerduty.apiUrl : read.opsgenie.apiUrl;
    if (!/^https?:\/\/[^/\s]+/.test(url)) {
      problems.push(`${where}: ${URL_VARIABLE[provider]} (${JSON.stringify(url)}) is not an http(s) URL.`);
    }
  });
  return problems;
}
