import { formatDuration } from "../../config/duration.js";
import type { Profile } from "../../config/schema.js";
import type { AccessRequest, Approval, GrantRecord } from "../../domain/request.js";
import type { ConnectInstructions } from "../../grants/provider.js";
import { codeBlock, escapeMrkdwn, slackDate, truncateMrkdwn } from "../escape.js";
import { ACTION } from "../ids.js";
import type { SlackMessage } from "./approval.js";
import { actions, type Block, button, context, divider, header, LIMIT, messageText, section } from "./kit.js";

const name = (profile: Profile) => `*${escapeMrkdwn(profile.title)}*`;
/** The profile's title in a notification text, which Slack parses as mrkdwn too. */
const title = (profile: Profile) => escapeMrkdwn(profile.title);

const RECEIPT_STATUS: Record<string, string> = {
  approved: "approved",
  active: "approved",
  expired: "approved",
  revoked: "approved",
  failed: "approved",
  denied: "denied",
  cancelled: "withdrawn",
  timed_out: "timed out",
};

export function receiptMessage(request: AccessRequest, profile: Profile): SlackMessage {
  const summary = `📨 Your request *${request.id}* for ${name(profile)} (${formatDuration(request.durationSeconds)})`;
  if (request.status !== "pending") {
    const outcome = RECEIPT_STATUS[request.status] ?? request.status;
    return {
      text: `Your request ${request.id} for ${title(profile)} was ${outcome}.`,
      blocks: [section(`${summary} was ${outcome}.`)],
    };
  }
  return {
    text: `Your request ${request.id} for ${title(profile)} is waiting for approval.`,
    blocks: [
      section(`${summary} is waiting for approval in <#${profile.approval.channel}>.`),
      actions(`receipt-${request.id}`, [
        button("Withdraw request", ACTION.cancel, request.id, {
          confirm: { title: "Withdraw?", text: `Withdraw request ${request.id}?`, confirm: "Withdraw", deny: "Keep" },
        }),
      ]),
    ],
  };
}

export function decisionMessage(request: AccessRequest, profile: Profile, approvals: Approval[]): SlackMessage {
  const deciders = approvals
    .filter((a) => a.decision === (request.status === "denied" ? "deny" : "approve"))
    .map((a) => `<@${a.approverId}>`)
    .join(", ");
  if (request.status === "denied") {
    const reason = request.decisionNote ? `\n>${escapeMrkdwn(request.decisionNote)}` : "";
    return {
      text: `Your request ${request.id} was denied.`,
      blocks: [section(`⛔ Your request *${request.id}* for ${name(profile)} was denied by ${deciders}.${reason}`)],
    };
  }
  return {
    text: `Your request ${request.id} was approved; granting access now.`,
    blocks: [
      section(`✅ Your request *${request.id}* for ${name(profile)} was approved by ${deciders}. Granting access now…`),
    ],
  };
}

export function closedMessage(request: AccessRequest, profile: Profile, closedBy?: string): SlackMessage {
  const text =
    request.status === "timed_out"
      ? `⌛ Nobody decided on your request *${request.id}* for ${name(profile)} in time, so it has timed out. Type \`/jit request ${profile.id}\` to ask again.`
      : closedBy && closedBy !== request.requesterId
        ? `↩️ <@${closedBy}> withdrew your request *${request.id}* for ${name(profile)} before any access was granted.`
        : `↩️ You withdrew request *${request.id}* for ${name(profile)}.`;
  return { text: text.replace(/[*`]/g, ""), blocks: [section(text)] };
}

export interface GrantMessageOptions {
  canRefresh: boolean;
  /** After the access ended: secrets are replaced and no buttons are live. */
  redacted?: boolean;
  refreshed?: boolean;
  /** Extended with new credentials: the earlier ones stop working. */
  extended?: boolean;
}

export function grantMessage(
  request: AccessRequest,
  profile: Profile,
  grant: GrantRecord,
  instructions: ConnectInstructions,
  options: GrantMessageOptions,
): SlackMessage {
  const heading = options.redacted ? `Access ended: ${profile.title}` : `Access granted: ${profile.title}`;
  const blocks: Block[] = [
    header(heading),
    section(
      options.redacted
        ? `Request *${request.id}* · this access has ended; its secrets were removed from this message.`
        : `${leadOf(options)}${escapeMrkdwn(instructions.summary)}\n*Ends* ${slackDate(grant.expiresAt)} (request *${request.id}*).${enforcedEnd(instructions, grant.expiresAt)}`,
    ),
  ];
  for (const part of instructions.sections) {
    if (part.secret && options.redacted) {
      blocks.push(section(`*${escapeMrkdwn(part.heading)}*\n_Removed: these credentials are no longer valid._`));
      continue;
    }
    blocks.push(...partSections(part));
  }
  if (instructions.notes.length) blocks.push(context(instructions.notes.map((n) => `ℹ️ ${escapeMrkdwn(n)}`).join("\n")));
  if (!options.redacted) blocks.push(divider(), grantButtons(request, profile, options.canRefresh));
  const text = options.redacted
    ? `${escapeMrkdwn(heading)} (request ${request.id})`
    : `${escapeMrkdwn(heading)} (request ${request.id}), ends ${grant.expiresAt.toISOString()}`;
  return { text, blocks };
}

/** "Enforced by the cluster: ends at 14:32:05", to the second, in the reader's own time zone. */
function enforcedEnd(instructions: ConnectInstructions, expiresAt: Date): string {
  if (!instructions.endEnforcedBy) return "";
  const by = escapeMrkdwn(instructions.endEnforcedBy);
  const unix = Math.floor(expiresAt.getTime() / 1000);
  const fallback = `${expiresAt.toISOString().slice(11, 19)} UTC`;
  return `\n*Enforced by ${by}: ends at <!date^${unix}^{time_secs}|${fallback}>*`;
}

/**
 * One part of the connect instructions. Code too long for one section (a long session token) goes
 * on over several, split between lines: cut short, a secret or a command would not work.
 */
function partSections(part: ConnectInstructions["sections"][number]): Block[] {
  const lead = [`*${escapeMrkdwn(part.heading)}*`, part.text ? escapeMrkdwn(part.text) : ""].filter(Boolean).join("\n");
  if (!part.code) return [section(lead)];
  const texts: string[] = [];
  let prefix = `${lead}\n`;
  let lines: string[] = [];
  for (const line of part.code.split("\n")) {
    if (lines.length > 0 && `${prefix}${codeBlock([...lines, line].join("\n"))}`.length > LIMIT.sectionText) {
      texts.push(`${prefix}${codeBlock(lines.join("\n"))}`);
      prefix = "";
      lines = [];
    }
    lines.push(line);
  }
  texts.push(`${prefix}${codeBlock(lines.join("\n"))}`);
  return texts.map((text) => section(text));
}

function leadOf(options: GrantMessageOptions): string {
  if (options.extended) return "⏩ Extended, with new credentials: the earlier ones no longer work. ";
  return options.refreshed ? "🔄 Fresh credentials. " : "";
}

export function grantButtons(request: AccessRequest, profile: Profile, canRefresh: boolean): Block {
  const elements: object[] = [
    button("Revoke now", ACTION.revoke, request.id, {
      style: "danger",
      confirm: { title: "Revoke access?", text: endQuestion(profile), confirm: "Revoke", deny: "Keep" },
    }),
  ];
  if (canRefresh) elements.push(button("Refresh credentials", ACTION.refresh, request.id));
  if (profile.extension) elements.push(button("Extend", ACTION.extend, request.id));
  return actions(`grant-${request.id}`, elements);
}

/** The revoke dialog's question; the title gives way so the whole stays within Slack's 300. */
function endQuestion(profile: Profile): string {
  const question = (shown: string) => `End *${shown}* now?`;
  return question(truncateMrkdwn(title(profile), LIMIT.confirmText - question("").length));
}

export function failedMessage(
  request: AccessRequest,
  profile: Profile,
  reason: string,
  outcome: { rolledBack: boolean; revokeRequestedBy?: string } = { rolledBack: true },
): SlackMessage {
  const undone = outcome.rolledBack
    ? "Nothing was left half-granted."
    : "jitbot could not yet confirm that nothing was left half-granted; it keeps undoing it and tells the approval channel until it succeeds.";
  const asked = outcome.revokeRequestedBy
    ? ` <@${outcome.revokeRequestedBy}> had asked to revoke it meanwhile: there is nothing left to revoke.`
    : "";
  const aftermath = `${undone}${asked}`;
  return {
    text: messageText(`Granting ${request.id} failed: ${escapeMrkdwn(reason)}`),
    blocks: [
      section(
        `⚠️ Request *${request.id}* for ${name(profile)} was approved, but granting the access failed. ${aftermath}\n>${escapeMrkdwn(reason)}`,
      ),
    ],
  };
}

export function endedMessage(request: AccessRequest, profile: Profile, detail: string): SlackMessage {
  if (request.status === "failed") {
    return {
      text: `The roll-back of ${request.id} (${title(profile)}) is confirmed: nothing of it is left.`,
      blocks: [
        section(`✅ The roll-back of *${request.id}* (${name(profile)}) is confirmed: nothing of it is left.`),
        context(escapeMrkdwn(detail)),
      ],
    };
  }
  const how = request.status === "revoked" ? "was revoked" : "has expired";
  return {
    text: `Your access ${request.id} to ${title(profile)} ${how}.`,
    blocks: [section(`⏹️ Your access to ${name(profile)} (*${request.id}*) ${how}.`), context(escapeMrkdwn(detail))],
  };
}

export function extendedMessage(request: AccessRequest, profile: Profile, grant: GrantRecord): SlackMessage {
  return {
    text: `Your access ${request.id} now ends at ${grant.expiresAt.toISOString()}.`,
    blocks: [
      section(
        `⏩ Your access to ${name(profile)} (*${request.id}*) was extended; it now ends ${slackDate(grant.expiresAt)}.`,
      ),
    ],
  };
}

export function expiryReminderMessage(
  request: AccessRequest,
  profile: Profile,
  grant: GrantRecord,
  canRefresh: boolean,
): SlackMessage {
  return {
    text: `Your access ${request.id} to ${title(profile)} ends soon.`,
    blocks: [
      section(`⏰ Your access to ${name(profile)} (*${request.id}*) ends ${slackDate(grant.expiresAt)}.`),
      grantButtons(request, profile, canRefresh),
    ],
  };
}
