import type { Profile } from "../../config/schema.js";
import type { GrantRecord } from "../../domain/request.js";
import { slackDate } from "../escape.js";

/**
 * Grant types whose end the cluster enforces on the person's next request (a deleted binding),
 * rather than a token that may outlive the change (README, "When access really ends").
 */
export function isClusterEnforced(profile: Profile | undefined): boolean {
  return profile?.grant.type === "kubernetes-rolebinding";
}

/** "14:32:05" in the reader's own time zone (Slack renders it), UTC seconds as the fallback text. */
export function slackTime(date: Date): string {
  const unix = Math.floor(date.getTime() / 1000);
  return `<!date^${unix}^{time_secs}|${date.toISOString().slice(11, 19)} UTC>`;
}

/** How a live grant's end reads in /jit list and on App Home. */
export function endOf(profile: Profile | undefined, grant: GrantRecord): string {
  return isClusterEnforced(profile)
    ? `enforced by the cluster: ends at ${slackTime(grant.expiresAt)}`
    : `ends ${slackDate(grant.expiresAt)}`;
}
