import { formatDuration } from "../../config/duration.js";
import type { Profile } from "../../config/schema.js";
import type { AccessRequest, GrantRecord } from "../../domain/request.js";
import { escapeMrkdwn, slackDate, truncateMrkdwn } from "../escape.js";
import { ACTION } from "../ids.js";
import { clusterLabel, type SlackMessage } from "./approval.js";
import { actions, type Block, button, context, fields, header, LIMIT, messageText, section } from "./kit.js";

/** The mark a break-glass request carries wherever it is shown. */
export const BREAK_GLASS_BADGE = "🚨";

export const badgeOf = (request: AccessRequest): string => (request.breakGlass ? `${BREAK_GLASS_BADGE} ` : "");

/** In an approver's App Home: a break glass waits for a confirmation, not a decision. */
export function awaitingNote(request: AccessRequest): string {
  const glass = request.breakGlass;
  return glass ? ` · broke glass: confirm or revoke it in the approval channel by ${slackDate(glass.confirmBy)}` : "";
}

/** In the requester's grant DM: until confirmed, the access lasts only to the deadline. */
export function breakGlassDeadline(request: AccessRequest): Block[] {
  const glass = request.breakGlass;
  if (!glass || glass.confirmedBy) return [];
  return [
    context(
      `${BREAK_GLASS_BADGE} Break glass: unless an approver confirms it by ${slackDate(glass.confirmBy)}, this access is revoked then.`,
    ),
  ];
}

const name = (profile: Profile) => `*${escapeMrkdwn(profile.title)}*`;

/** Pings that notify: `<!subteam^ID>` for a user group, `<@U…>` for a person (Slack's formatting doc). */
export function approverMentions(profile: Profile): string {
  const { users, slackUserGroups } = profile.approval.approvers;
  return [...slackUserGroups.map((g) => `<!subteam^${g}>`), ...users.map((u) => `<@${u}>`)].join(" ");
}

function reason(request: AccessRequest): Block {
  return section(`*Reason*\n>${escapeMrkdwn(request.justification).replace(/\n/g, "\n>")}`);
}

const window = (profile: Profile) => formatDuration(profile.breakGlass?.confirmWithin ?? 0);

/** Live (granting or granted) and nobody confirmed yet: the approvers' buttons are offered. */
const awaiting = (request: AccessRequest) =>
  (request.status === "approved" || request.status === "active") && !request.breakGlass?.confirmedBy;

function outcomeLine(request: AccessRequest, profile: Profile, endReason?: GrantRecord["endReason"]): string {
  const glass = request.breakGlass;
  const confirmed = glass?.confirmedBy
    ? ` — confirmed by <@${glass.confirmedBy}> ${slackDate(glass.confirmedAt ?? request.updatedAt)}`
    : "";
  switch (request.status) {
    case "approved":
    case "active":
      return `✅ Confirmed by <@${glass?.confirmedBy}> · ${slackDate(glass?.confirmedAt ?? request.updatedAt)}: it runs until its end.`;
    case "expired":
      return `⌛ Access has ended${confirmed}`;
    case "revoked":
      return endReason === "not_confirmed"
        ? `⏹️ Revoked: no approver confirmed it within ${window(profile)}.`
        : `⏹️ Access was revoked${confirmed}`;
    case "failed":
      return "⚠️ Granting failed: no access was left in place.";
    default:
      return `Status: ${request.status.replace("_", " ")}`;
  }
}

/**
 * The approval channel's message for a break glass. While unconfirmed it pings every approver and
 * offers Confirm and Revoke; once confirmed, Revoke stays; once over, it says how it ended.
 */
export function breakGlassChannelMessage(
  request: AccessRequest,
  profile: Profile,
  endReason?: GrantRecord["endReason"],
): SlackMessage {
  const glass = request.breakGlass;
  const blocks: Block[] = [
    header(`${BREAK_GLASS_BADGE} Break glass · ${request.id}`),
    section(`<@${request.requesterId}> broke glass on ${name(profile)} and was granted access *without approval*.`),
    fields([
      `*Requester*\n<@${request.requesterId}>`,
      `*Profile*\n${escapeMrkdwn(profile.title)}`,
      `*Cluster*\n${escapeMrkdwn(clusterLabel(profile))}`,
      `*Duration*\n${formatDuration(request.durationSeconds)}`,
      `*Ticket*\n${request.ticket ? escapeMrkdwn(request.ticket) : "—"}`,
      `*Grant*\n\`${profile.grant.type}\``,
    ]),
    reason(request),
  ];
  if (awaiting(request) && glass) {
    blocks.push(
      section(
        `${approverMentions(profile)} one of you must *Confirm* by ${slackDate(glass.confirmBy)} (within ${window(profile)}), or the access is revoked at that moment.`,
      ),
      actions(`break-glass-${request.id}`, [
        button("Confirm", ACTION.confirmBreakGlass, request.id, {
          style: "primary",
          confirm: {
            title: "Confirm break glass?",
            text: truncateMrkdwn(
              `You vouch that <@${request.requesterId}> needs this access now. It then runs for the ${formatDuration(request.durationSeconds)} asked for.`,
              LIMIT.confirmText,
            ),
            confirm: "Confirm",
            deny: "Back",
          },
        }),
        revokeButton(request),
      ]),
    );
  } else {
    blocks.push(section(outcomeLine(request, profile, endReason)));
    if (request.status === "active") blocks.push(actions(`break-glass-${request.id}`, [revokeButton(request)]));
  }
  return {
    text: messageText(
      `${BREAK_GLASS_BADGE} Break glass ${request.id}: <@${request.requesterId}> took ${escapeMrkdwn(profile.title)} (${formatDuration(request.durationSeconds)}) without approval${awaiting(request) ? ` — ${approverMentions(profile)} confirm or revoke` : `: ${request.status}`}`,
    ),
    blocks,
  };
}

function revokeButton(request: AccessRequest) {
  return button("Revoke", ACTION.revoke, request.id, {
    style: "danger",
    confirm: {
      title: "Revoke access?",
      text: `End <@${request.requesterId}>'s access ${request.id} now?`,
      confirm: "Revoke",
      deny: "Back",
    },
  });
}

/** The DM each approver gets: what happened, and where to confirm or revoke before the deadline. */
export function breakGlassApproverDm(request: AccessRequest, profile: Profile): SlackMessage {
  const by = request.breakGlass ? slackDate(request.breakGlass.confirmBy) : "";
  return {
    text: messageText(
      `${BREAK_GLASS_BADGE} <@${request.requesterId}> broke glass on ${escapeMrkdwn(profile.title)} (${request.id}); confirm or revoke it by ${by}.`,
    ),
    blocks: [
      section(
        `${BREAK_GLASS_BADGE} <@${request.requesterId}> broke glass on ${name(profile)} (*${request.id}*, ${formatDuration(request.durationSeconds)}) and has access now, without approval.`,
      ),
      reason(request),
      section(
        `You are an approver of this profile: *Confirm* or *Revoke* it in <#${profile.approval.channel}> by ${by}. Unless an approver confirms it by then, the access is revoked at that moment.`,
      ),
    ],
  };
}

/** The requester's receipt: what they did, and what happens next. */
export function breakGlassReceipt(request: AccessRequest, profile: Profile): SlackMessage {
  const by = request.breakGlass ? slackDate(request.breakGlass.confirmBy) : "";
  return {
    text: `${BREAK_GLASS_BADGE} You broke glass on ${escapeMrkdwn(profile.title)} (${request.id}): access is being granted now.`,
    blocks: [
      section(
        `${BREAK_GLASS_BADGE} You broke glass on ${name(profile)} (*${request.id}*, ${formatDuration(request.durationSeconds)}): your access is being granted now, without approval.`,
      ),
      context(
        `Every approver has been told. Unless one of them confirms by ${by}, the access is revoked at that moment. The use is recorded in the audit log and the weekly break-glass summary.`,
      ),
    ],
  };
}

export function breakGlassConfirmedDm(request: AccessRequest, profile: Profile): SlackMessage {
  const by = request.breakGlass?.confirmedBy;
  return {
    text: `${BREAK_GLASS_BADGE} Your break glass ${request.id} was confirmed by <@${by}>.`,
    blocks: [
      section(
        `✅ <@${by}> confirmed your break-glass access to ${name(profile)} (*${request.id}*): it runs until its end.`,
      ),
    ],
  };
}

/** The requester's DM when the deadline passed unconfirmed (never "expired": it did not). */
export function notConfirmedDm(request: AccessRequest, profile: Profile, detail: string): SlackMessage {
  return {
    text: `${BREAK_GLASS_BADGE} Your break-glass access ${request.id} to ${escapeMrkdwn(profile.title)} was revoked: it was not confirmed in time.`,
    blocks: [
      section(
        `⏹️ Your break-glass access to ${name(profile)} (*${request.id}*) was revoked: no approver confirmed it within ${window(profile)}. Request it again for approval if you still need it.`,
      ),
      context(escapeMrkdwn(detail)),
    ],
  };
}

/** The approval channel is told when a break glass was revoked for want of a confirmation. */
export function notConfirmedNotice(request: AccessRequest, profile: Profile): SlackMessage {
  return {
    text: messageText(
      `${BREAK_GLASS_BADGE} Break glass ${request.id} of <@${request.requesterId}> on ${escapeMrkdwn(profile.title)} was revoked: not confirmed within ${window(profile)}.`,
    ),
    blocks: [
      section(
        `${BREAK_GLASS_BADGE} <@${request.requesterId}>'s break-glass access to ${name(profile)} (*${request.id}*) was *revoked*: no approver confirmed it within ${window(profile)}.`,
      ),
    ],
  };
}
