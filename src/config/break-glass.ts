import { z } from "zod";
import { formatDuration } from "./duration.js";
import { durationSchema } from "./zod-helpers.js";

/**
 * `breakGlass`: the requester may take the profile's access at once, without an approval; every
 * approver is told, and one of them must confirm within `confirmWithin` or the access is revoked
 * at that moment. `max` caps how long such access may last.
 */
export const breakGlassSchema = z.strictObject({
  confirmWithin: durationSchema,
  max: durationSchema,
});

export type BreakGlass = z.infer<typeof breakGlassSchema>;

const MIN_SECONDS = 60;

type Issues = { addIssue(issue: { code: "custom"; path: (string | number)[]; message: string }): void };

interface BreakGlassProfile {
  duration: { max: number };
  approval: { approvers: { users: string[]; slackUserGroups: string[] } };
  breakGlass?: BreakGlass;
}

/**
 * A break-glass policy that cannot work as written is refused at load: a confirmation window no
 * shorter than the access (nothing left to confirm), a cap past the profile's own, or nobody who
 * could confirm.
 */
export function checkBreakGlass(profile: BreakGlassProfile, ctx: Issues): void {
  const glass = profile.breakGlass;
  if (!glass) return;
  const at = (key: string) => ["breakGlass", key];
  for (const key of ["confirmWithin", "max"] as const) {
    if (glass[key] < MIN_SECONDS) ctx.addIssue({ code: "custom", path: at(key), message: "must be at least 1m" });
  }
  if (glass.max > profile.duration.max) {
    ctx.addIssue({
      code: "custom",
      path: at("max"),
      message: `${formatDuration(glass.max)} is longer than duration.max (${formatDuration(profile.duration.max)})`,
    });
  }
  if (glass.confirmWithin >= glass.max) {
    ctx.addIssue({
      code: "custom",
      path: at("confirmWithin"),
      message: `${formatDuration(glass.confirmWithin)} must be shorter than breakGlass.max (${formatDuration(glass.max)}), or there is nothing left to confirm`,
    });
  }
  const { users, slackUserGroups } = profile.approval.approvers;
  if (users.length === 0 && slackUserGroups.length === 0) {
    ctx.addIssue({
      code: "custom",
      path: ["breakGlass"],
      message: "needs approval.approvers (users or slackUserGroups): someone must be able to confirm",
    });
  }
}
