import { formatDuration } from "../../config/duration.js";
import type { Profile } from "../../config/schema.js";
import { isOnCallApproval } from "../../domain/on-call.js";
import type { AccessRequest, Approval } from "../../domain/request.js";
import { escapeMrkdwn, slackDate } from "../escape.js";
import { ACTION } from "../ids.js";
import { actions, type Block, button, context, messageText, section } from "./kit.js";

/** Who decided, as a message names them: a Slack mention, or the on-call rule (not a person). */
export function deciderMention(approverId: string): string {
  return isOnCallApproval(approverId) ? "on-call auto-approval" : `<@${approverId}>`;
}

/** "auto-approved: @alice is on call for Payments primary (PagerDuty)"; the schedule's name is escaped. */
function autoApprovedLine(request: AccessRequest, tense: "is" | "was"): string {
  const why = request.decisionNote ?? "on call";
  return `auto-approved: <@${request.requesterId}> ${tense} ${escapeMrkdwn(why)}`;
}

/**
 * The decided part of an approval message for a request the on-call rule approved: while the access
 * is live, the reason and a Revoke button for approvers; afterwards, the outcome and the reason.
 * Undefined for any request a person decided.
 */
export function autoApprovalBlocks(
  request: AccessRequest,
  profile: Profile,
  approvals: Approval[],
  outcomeLine: string,
): { text: string; blocks: Block[] } | undefined {
  if (!approvals.some((a) => isOnCallApproval(a.approverId) && a.decision === "approve")) return undefined;
  const live = request.status === "approved" || request.status === "active";
  const when = request.decidedAt ? ` · ${slackDate(request.decidedAt)}` : "";
  if (!live) {
    return {
      text: messageText(`Access request ${request.id} ${autoApprovedLine(request, "was")} — ${outcomeLine}`),
      blocks: [section(outcomeLine), context(`${autoApprovedLine(request, "was")}${when}`)],
    };
  }
  const max = profile.approval.autoApproveOnCall?.max;
  return {
    text: messageText(`Access request ${request.id} ${autoApprovedLine(request, "is")}`),
    blocks: [
      section(`🟢 ${autoApprovedLine(request, "is")}${request.status === "active" ? " — access granted" : ""}`),
      context(
        `No approver was asked: the profile approves its on-call engineers for up to ${max === undefined ? "its limit" : formatDuration(max)}${when}. Approvers may revoke it.`,
      ),
      actions(`auto-${request.id}`, [
        button("Revoke", ACTION.revokeAutoApproved, request.id, {
          style: "danger",
          confirm: {
            title: "Revoke this access?",
            text: `<@${request.requesterId}> loses *${escapeMrkdwn(profile.title)}* now.`,
            confirm: "Revoke",
            deny: "Keep",
          },
        }),
      ]),
    ],
  };
}

/** Why auto-approval did not apply, for the requester's DM or a reply under the approval message. */
export function autoApprovalSkippedMessage(
  request: AccessRequest,
  sentence: string,
): { text: string; blocks: Block[] } {
  // jitbot's own words, but a schedule id or a service's name may sit in them: escaped like typed text.
  const plain = escapeMrkdwn(sentence);
  return {
    text: messageText(`${request.id}: ${plain}`),
    blocks: [section(`ℹ️ *${request.id}*: ${plain}`)],
  };
}

/** The requester's DM: approved, by which rule, and that the grant is on its way. */
export function autoApprovedDm(request: AccessRequest, profile: Profile): { text: string; blocks: Block[] } {
  const why = escapeMrkdwn(request.decisionNote ?? "on call");
  return {
    text: messageText(`Your request ${request.id} was auto-approved: you are ${why}. Granting access now.`),
    blocks: [
      section(
        `✅ Your request *${request.id}* for *${escapeMrkdwn(profile.title)}* (${formatDuration(request.durationSeconds)}) was auto-approved: you are ${why}. Granting access now…`,
      ),
      context(`The approvers in <#${profile.approval.channel}> were told and may revoke it.`),
    ],
  };
}
