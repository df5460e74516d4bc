import { formatDuration } from "../../config/duration.js";
import type { Profile } from "../../config/schema.js";
import type { BreakGlassUse } from "../../store/break-glass.js";
import { escapeMrkdwn, slackDate, truncateMrkdwn } from "../escape.js";
import type { SlackMessage } from "./approval.js";
import { BREAK_GLASS_BADGE } from "./break-glass.js";
import { boundedSections, context, header, LIMIT, messageText, section } from "./kit.js";

/** How one break glass ended, in a few words: who confirmed it, or how it was taken away. */
export function useOutcome(use: BreakGlassUse): string {
  const { request, revokedBy, endReason } = use;
  const glass = request.breakGlass;
  const confirmed = glass?.confirmedBy
    ? `✅ confirmed by <@${glass.confirmedBy}> ${slackDate(glass.confirmedAt ?? request.updatedAt)}`
    : "";
  if (request.status === "failed") return "⚠️ granting failed: no access was left in place";
  if (endReason === "not_confirmed") return "⏹️ *not confirmed*: revoked at the deadline";
  if (request.status === "revoked" || endReason === "revoked") {
    const by = revokedBy ? ` by <@${revokedBy}>` : "";
    return confirmed ? `${confirmed}; later revoked${by}` : `⏹️ revoked${by} before anyone confirmed it`;
  }
  if (confirmed) return request.status === "expired" ? `${confirmed}; ran to its end` : confirmed;
  if (request.status === "expired") return "⌛ ended before anyone confirmed it";
  return `⏳ awaiting confirmation until ${slackDate(glass?.confirmBy ?? request.createdAt)}`;
}

/** The weekly summary of one profile's break-glass uses, posted to its approval channel. */
export function breakGlassSummaryMessage(
  profile: Profile,
  uses: BreakGlassUse[],
  week: { from: Date; to: Date },
): SlackMessage {
  const span = `${slackDate(week.from, "{date_short}")} – ${slackDate(new Date(week.to.getTime() - 1), "{date_short}")}`;
  const title = escapeMrkdwn(profile.title);
  if (uses.length === 0) {
    return {
      text: `${BREAK_GLASS_BADGE} Break-glass summary for ${title}: no uses this week.`,
      blocks: [
        header(`${BREAK_GLASS_BADGE} Break-glass summary · ${profile.title}`),
        section(`No break glass was used on *${title}* (${span}).`),
      ],
    };
  }
  const lines = uses.map(
    (use) =>
      `• *${use.request.id}* <@${use.request.requesterId}> · ${slackDate(use.request.createdAt)} · ${formatDuration(use.request.durationSeconds)} — ${useOutcome(use)}\n>${truncateMrkdwn(escapeMrkdwn(use.request.justification), 300).replace(/\n/g, "\n>")}`,
  );
  const confirmed = uses.filter((u) => u.request.breakGlass?.confirmedBy).length;
  return {
    text: messageText(
      `${BREAK_GLASS_BADGE} Break-glass summary for ${title}: ${uses.length} use${uses.length === 1 ? "" : "s"}, ${confirmed} confirmed.`,
    ),
    blocks: [
      header(`${BREAK_GLASS_BADGE} Break-glass summary · ${profile.title}`),
      context(
        `${uses.length} break glass${uses.length === 1 ? "" : "es"} on *${title}* (${span}), ${confirmed} confirmed by an approver.`,
      ),
      ...boundedSections(
        lines,
        LIMIT.messageBlocks - 2,
        (left) =>
          `…and ${left} more: the audit log holds every one (request.approved with breakGlass, break_glass.confirmed).`,
      ),
    ],
  };
}
