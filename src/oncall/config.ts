import { z } from "zod";
import { durationSchema } from "../config/zod-helpers.js";

/**
 * `approval.autoApproveOnCall` on a profile: a request from whoever is on call now for one of
 * `schedules` is approved at once when it asks for at most `max`; anything else goes to approvers.
 */
export const autoApproveOnCallSchema = z.strictObject({
  provider: z.enum(["pagerduty", "opsgenie"]),
  // PagerDuty schedule ids look like P1ABCDE; Opsgenie's are UUIDs. Both go into a URL, so only
  // the characters either service uses are accepted.
  schedules: z
    .array(
      z.string().regex(/^[A-Za-z0-9-]{1,64}$/, { message: "must be a schedule id (P1ABCDE, or an Opsgenie UUID)" }),
    )
    .min(1, { message: "needs at least one schedule id" }),
  max: durationSchema,
});

export type AutoApproveOnCall = z.infer<typeof autoApproveOnCallSchema>;
export type OnCallProvider = AutoApproveOnCall["provider"];

/** `playground.onCall`: sample schedules the playground answers from, with no PagerDuty or Opsgenie account. */
export const playgroundOnCallSchema = z.array(
  z.strictObject({
    provider: z.enum(["pagerduty", "opsgenie"]),
    schedule: z.string().min(1),
    name: z.string().min(1),
    onCall: z.array(z.string().email()).default([]),
  }),
);

export const PROVIDER_NAME: Record<OnCallProvider, string> = { pagerduty: "PagerDuty", opsgenie: "Opsgenie" };

/** The environment variable holding each service's API key. */
export const KEY_VARIABLE: Record<OnCallProvider, string> = {
  pagerduty: "PAGERDUTY_TOKEN",
  opsgenie: "OPSGENIE_API_KEY",
};

/** Within the profile's own duration.max, or the setting could never apply as written. */
export function checkAutoApproveOnCall(
  profile: { duration: { max: number }; approval: { autoApproveOnCall?: AutoApproveOnCall } },
  ctx: { addIssue(issue: { code: "custom"; path: (string | number)[]; message: string }): void },
): void {
  const setting = profile.approval.autoApproveOnCall;
  if (!setting) return;
  const path = ["approval", "autoApproveOnCall", "max"];
  if (setting.max < 60) ctx.addIssue({ code: "custom", path, message: "must be at least 1m" });
  if (setting.max > profile.duration.max)
    ctx.addIssue({ code: "custom", path, message: "is longer than duration.max, which no request may pass" });
}
