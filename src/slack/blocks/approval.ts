import { formatDuration } from "../../config/duration.js";
import type { Profile } from "../../config/schema.js";
import { clustersOf, grantTypesOf } from "../../domain/bundle.js";
import type { AccessRequest, Approval } from "../../domain/request.js";
import { escapeMrkdwn, slackDate, truncateMrkdwn } from "../escape.js";
import { ACTION, BLOCK } from "../ids.js";
import { actions, type Block, button, context, fields, header, LIMIT, messageText, section } from "./kit.js";
import { autoApprovalBlocks, deciderMention } from "./on-call.js";

export interface SlackMessage {
  text: string;
  blocks: Block[];
}

export function clusterLabel(profile: Profile): string {
  const c = profile.cluster;
  return c.kind === "aks" ? `AKS ${c.name} (${c.resourceGroup})` : `EKS ${c.name} (${c.region})`;
}

/** `{by}` is where the deciders go ("by <@U1>, <@U2>"); a status without it names nobody. */
const STATUS_LINE: Record<string, string> = {
  approved: "✅ Approved{by}",
  active: "✅ Approved{by} — access granted",
  expired: "⌛ Access has ended — approved{by}",
  revoked: "⏹️ Access was revoked — approved{by}",
  failed: "⚠️ Granting failed — approved{by}",
  denied: "⛔ Denied{by}",
  cancelled: "↩️ Withdrawn — no access was granted",
  timed_out: "⌛ Timed out — nobody decided in time",
};

function decisionLine(request: AccessRequest, approvals: Approval[]): string {
  const status = STATUS_LINE[request.status] ?? request.status;
  const deciders = approvals.filter((a) =>
    request.status === "denied" ? a.decision === "deny" : a.decision === "approve",
  );
  const by = deciders.length ? ` by ${deciders.map((a) => deciderMention(a.approverId)).join(", ")}` : "";
  const when = request.decidedAt ? ` · ${slackDate(request.decidedAt)}` : "";
  return `${status.replace("{by}", by)}${when}`;
}

/** The message approvers act on. Once decided, it shows the outcome and no live buttons. */
export function approvalMessage(request: AccessRequest, profile: Profile, approvals: Approval[]): SlackMessage {
  const blocks: Block[] = [
    header(`${request.extendsRequestId ? "Extension" : "Access"} request · ${request.id}`),
    fields([
      `*Requester*\n<@${request.requesterId}>`,
      `*Profile*\n${escapeMrkdwn(profile.title)}`,
      `*Cluster*\n${escapeMrkdwn(clustersOf(profile, clusterLabel))}`,
      `*Duration*\n${formatDuration(request.durationSeconds)}`,
      `*Ticket*\n${request.ticket ? escapeMrkdwn(request.ticket) : "—"}`,
      `*Grant*\n\`${grantTypesOf(profile)}\``,
    ]),
    ...justification(request),
  ];
  if (request.extendsRequestId) blocks.push(context(`Extends grant ${request.extendsRequestId}.`));
  const auto = autoApprovalBlocks(request, profile, approvals, decisionLine(request, approvals));
  if (auto) return { text: auto.text, blocks: [...blocks, ...auto.blocks] };
  if (request.status === "pending") {
    const approved = approvals.filter((a) => a.decision === "approve");
    const needed = profile.approval.required;
    if (profile.bundle) blocks.push(context(bundleApprovalRule(profile)));
    blocks.push(
      context(
        `Requested ${slackDate(request.createdAt)} · ${approved.length} of ${needed} approval${needed === 1 ? "" : "s"}${
          approved.length ? ` (${approved.map((a) => `<@${a.approverId}>`).join(", ")})` : ""
        }`,
      ),
      actions(BLOCK.decision, [
        button("Approve", ACTION.approve, request.id, {
          style: "primary",
          confirm: {
            title: "Approve access?",
            text: approveQuestion(request, profile),
            confirm: "Approve",
            deny: "Back",
          },
        }),
        button("Deny", ACTION.deny, request.id, { style: "danger" }),
      ]),
    );
  } else {
    blocks.push(section(decisionLine(request, approvals)));
    if (request.status === "denied" && request.decisionNote) {
      blocks.push(context(`Reason: ${escapeMrkdwn(request.decisionNote)}`));
    }
  }
  return {
    text: messageText(
      `Access request ${request.id} from <@${request.requesterId}> for ${escapeMrkdwn(profile.title)} (${formatDuration(request.durationSeconds)}): ${request.status}`,
    ),
    blocks,
  };
}

/**
 * The justification as approvers see it. Escaping can make typed text five times longer (`&` is
 * sent as `&amp;`), past what one section holds; then approvers are told it was shortened.
 */
function justification(request: AccessRequest): Block[] {
  const full = `*Justification*\n>${escapeMrkdwn(request.justification).replace(/\n/g, "\n>")}`;
  if (full.length <= LIMIT.sectionText) return [section(full)];
  return [
    section(full),
    context(
      `Shortened to fit Slack: the full justification (${request.justification.length} characters) is stored with request ${request.id}.`,
    ),
  ];
}

/** The confirm dialog's question; the title gives way so the whole stays within Slack's 300. */
function approveQuestion(request: AccessRequest, profile: Profile): string {
  const question = (title: string) =>
    `<@${request.requesterId}> gets *${title}* for ${formatDuration(request.durationSeconds)}.`;
  return question(truncateMrkdwn(escapeMrkdwn(profile.title), LIMIT.confirmText - question("").length));
}

/** Who must approve a bundle: every profile's approver set, each its own `required` count. */
function bundleApprovalRule(profile: Profile): string {
  const rules = (profile.bundle?.profiles ?? []).map(
    (member) => `${member.approval.required} for ${escapeMrkdwn(member.id)}`,
  );
  return `Bundle: an approval counts for each of its profiles the approver may approve; it needs ${rules.join(", ")}.`;
}
