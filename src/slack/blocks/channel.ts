import type { Profile } from "../../config/schema.js";
import type { AccessRequest, GrantRecord } from "../../domain/request.js";
import { type AuditAnchor, anchorJson } from "../../store/audit-anchor.js";
import { escapeMrkdwn, slackDate } from "../escape.js";
import type { SlackMessage } from "./approval.js";
import { context, section } from "./kit.js";

export function revokeFailingMessage(
  request: AccessRequest,
  profile: Profile,
  grant: GrantRecord,
  reason: string,
): SlackMessage {
  return {
    text: `Could not revoke ${request.id} (${escapeMrkdwn(profile.title)}) yet; retrying.`,
    blocks: [
      section(
        `🚨 *Could not revoke* ${request.id} — <@${request.requesterId}> on *${escapeMrkdwn(profile.title)}* (due ${slackDate(grant.expiresAt)}). jitbot keeps retrying with backoff and will post here hourly until it succeeds.\n>${escapeMrkdwn(reason)}`,
      ),
      context(
        `Attempts so far: ${grant.revokeAttempts + 1}. Check the provider permissions, or remove the access by hand.`,
      ),
    ],
  };
}

export function approvalReminderMessage(request: AccessRequest, timesOutAt: Date): SlackMessage {
  return {
    text: `Request ${request.id} is still waiting for a decision.`,
    blocks: [
      section(
        `⏳ Request *${request.id}* from <@${request.requesterId}> is still waiting for a decision; it times out ${slackDate(timesOutAt)}.`,
      ),
    ],
  };
}

/** The line an auditor pastes into `jitbot audit verify --anchor '…'`; nothing typed by a person. */
export function auditAnchorMessage(anchor: AuditAnchor): SlackMessage {
  const line = anchorJson(anchor);
  return {
    text: `Audit anchor: the audit log had ${anchor.seq} events.`,
    blocks: [
      section(`🔏 *Audit anchor* — the audit log had ${anchor.seq} events.\n\`\`\`${line}\`\`\``),
      context(`Check the database against it: \`jitbot audit verify --anchor '${line}'\``),
    ],
  };
}
