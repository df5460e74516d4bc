import type { WebClient } from "@slack/web-api";
import type { Profile } from "../config/schema.js";
import type { AccessRequest, Approval, GrantRecord } from "../domain/request.js";
import type { ConnectInstructions } from "../grants/provider.js";
import type { CloudFinding, Logger, MessageRef, Notifier } from "../service/ports.js";
import type { AuditAnchor } from "../store/audit-anchor.js";
import type { BreakGlassUse } from "../store/break-glass.js";
import { approvalMessage, type SlackMessage } from "./blocks/approval.js";
import {
  breakGlassApproverDm,
  breakGlassChannelMessage,
  breakGlassConfirmedDm,
  breakGlassReceipt,
  notConfirmedDm,
  notConfirmedNotice,
} from "./blocks/break-glass.js";
import { breakGlassSummaryMessage } from "./blocks/break-glass-summary.js";
import { approvalReminderMessage, auditAnchorMessage, revokeFailingMessage } from "./blocks/channel.js";
import { driftMessage, orphansRemovedMessage } from "./blocks/cleanup.js";
import {
  closedMessage,
  decisionMessage,
  endedMessage,
  expiryReminderMessage,
  extendedMessage,
  failedMessage,
  grantMessage,
  receiptMessage,
} from "./blocks/dm.js";
import { uneditable } from "./uneditable.js";

/**
 * Delivers what happened to Slack. Delivery failures are logged and swallowed: the state change
 * already happened and is durable, and a lost message must not undo a grant or a revoke.
 */
export class SlackNotifier implements Notifier {
  constructor(
    private readonly client: WebClient,
    private readonly logger: Logger,
    private readonly approvalsOf: (requestId: string) => Promise<Approval[]>,
    private readonly canRefresh: (profile: Profile) => boolean,
  ) {}

  private async post(channel: string, message: SlackMessage, what: string): Promise<MessageRef | undefined> {
    try {
      const answer = await this.client.chat.postMessage({ channel, text: message.text, blocks: message.blocks });
      return answer.channel && answer.ts ? { channel: answer.channel, ts: answer.ts } : undefined;
    } catch (error) {
      this.logger.warn({ channel, what, err: (error as Error).message }, "could not post to Slack");
      return undefined;
    }
  }

  /** True when the message reads as asked now, or never can be edited again (it is gone): no retry helps. */
  private async update(
    channel: string | undefined,
    ts: string | undefined,
    message: SlackMessage,
    what: string,
  ): Promise<boolean> {
    if (!channel || !ts) return true;
    try {
      await this.client.chat.update({ channel, ts, text: message.text, blocks: message.blocks });
      return true;
    } catch (error) {
      const final = uneditable(error);
      this.logger.warn(
        { channel, what, err: (error as Error).message },
        final ? "a Slack message can no longer be updated" : "could not update a Slack message",
      );
      return final !== undefined;
    }
  }

  private async refreshApproval(
    request: AccessRequest,
    profile: Profile,
    known?: Approval[],
    endReason?: GrantRecord["endReason"],
  ) {
    // Nothing to bring up to date (never posted, or a request made outside Slack): no approvals read.
    if (!request.approvalChannel || !request.approvalTs) return;
    const message = request.breakGlass
      ? breakGlassChannelMessage(request, profile, endReason)
      : approvalMessage(request, profile, known ?? (await this.approvalsOf(request.id)));
    await this.update(request.approvalChannel, request.approvalTs, message, "approval");
  }

  async requestSubmitted(request: AccessRequest, profile: Profile) {
    const receipt = await this.post(request.requesterId, receiptMessage(request, profile), "receipt");
    const approval = await this.post(profile.approval.channel, approvalMessage(request, profile, []), "approval");
    return { receipt, approval };
  }

  /** Once decided or withdrawn, the receipt keeps its text but loses its Withdraw button. */
  private async settleReceipt(request: AccessRequest, profile: Profile) {
    await this.update(request.receiptChannel, request.receiptTs, receiptMessage(request, profile), "receipt");
  }

  /** Brings the approval message and the receipt up to a state decided before their ts was stored. */
  async messagesCaughtUp(request: AccessRequest, profile: Profile) {
    await this.refreshApproval(request, profile);
    await this.settleReceipt(request, profile);
  }

  async approvalRecorded(request: AccessRequest, profile: Profile, approvals: Approval[]) {
    await this.refreshApproval(request, profile, approvals);
  }

  async requestDecided(request: AccessRequest, profile: Profile, approvals: Approval[]) {
    await this.refreshApproval(request, profile, approvals);
    await this.settleReceipt(request, profile);
    await this.post(request.requesterId, decisionMessage(request, profile, approvals), "decision");
  }

  async requestClosed(request: AccessRequest, profile: Profile, closedBy?: string) {
    await this.refreshApproval(request, profile);
    await this.settleReceipt(request, profile);
    await this.post(request.requesterId, closedMessage(request, profile, closedBy), "closed");
  }

  async approvalReminder(request: AccessRequest, profile: Profile, timesOutAt?: Date) {
    const message = approvalReminderMessage(request, timesOutAt ?? request.createdAt);
    try {
      await this.client.chat.postMessage({
        channel: request.approvalChannel ?? profile.approval.channel,
        text: message.text,
        blocks: message.blocks,
        ...(request.approvalTs ? { thread_ts: request.approvalTs } : {}),
      });
    } catch (error) {
      this.logger.warn({ requestId: request.id, err: (error as Error).message }, "could not post an approval reminder");
    }
  }

  async grantActivated(
    request: AccessRequest,
    profile: Profile,
    grant: GrantRecord,
    instructions: ConnectInstructions,
  ) {
    await this.refreshApproval(request, profile);
    return this.post(
      request.requesterId,
      grantMessage(request, profile, grant, instructions, { canRefresh: this.canRefresh(profile) }),
      "grant",
    );
  }

  async credentialsRefreshed(
    request: AccessRequest,
    profile: Profile,
    grant: GrantRecord,
    instructions: ConnectInstructions,
  ) {
    await this.redactOldCredentials(request, profile, grant);
    const message = grantMessage(request, profile, grant, instructions, { canRefresh: true, refreshed: true });
    return this.post(request.requesterId, message, "refreshed credentials");
  }

  async grantFailed(
    request: AccessRequest,
    profile: Profile,
    reason: string,
    outcome: { rolledBack: boolean; revokeRequestedBy?: string },
  ) {
    await this.refreshApproval(request, profile);
    const message = failedMessage(request, profile, reason, outcome);
    const dm = await this.post(request.requesterId, message, "grant failed");
    await this.post(profile.approval.channel, message, "grant failed");
    return dm;
  }

  async grantExtended(
    request: AccessRequest,
    profile: Profile,
    grant: GrantRecord,
    instructions?: ConnectInstructions,
  ): Promise<MessageRef | undefined> {
    if (!instructions) {
      await this.post(request.requesterId, extendedMessage(request, profile, grant), "extended");
      return undefined;
    }
    await this.redactOldCredentials(request, profile, grant);
    const message = grantMessage(request, profile, grant, instructions, {
      canRefresh: this.canRefresh(profile),
      extended: true,
    });
    return this.post(request.requesterId, message, "extended credentials");
  }

  async expiryReminder(request: AccessRequest, profile: Profile, grant: GrantRecord) {
    await this.post(
      request.requesterId,
      expiryReminderMessage(request, profile, grant, this.canRefresh(profile)),
      "reminder",
    );
  }

  /**
   * True once the person was told. Their DM goes out only after the credential DM lost its secrets
   * (or had none left to lose), so an end told leaves no secret on screen; false leaves it all to a
   * heartbeat, which repeats it: the refresh and the redaction land the same twice. A break glass
   * not confirmed is told to its channel first, so a retry after a failed DM posts that again.
   */
  async grantEnded(request: AccessRequest, profile: Profile, grant: GrantRecord, detail: string) {
    await this.refreshApproval(request, profile, undefined, grant.endReason);
    if (!(await this.redactOldCredentials(request, profile, grant))) return false;
    let dm = endedMessage(request, profile, detail);
    if (grant.endReason === "not_confirmed") {
      const notice = notConfirmedNotice(request, profile);
      if (!(await this.post(profile.approval.channel, notice, "break glass not confirmed"))) return false;
      dm = notConfirmedDm(request, profile, detail);
    }
    return (await this.post(request.requesterId, dm, "ended")) !== undefined;
  }

  async breakGlassUsed(request: AccessRequest, profile: Profile, approverIds: string[]) {
    const approval = await this.post(
      profile.approval.channel,
      breakGlassChannelMessage(request, profile),
      "break glass",
    );
    const receipt = await this.post(request.requesterId, breakGlassReceipt(request, profile), "break glass receipt");
    for (const approverId of approverIds) {
      await this.post(approverId, breakGlassApproverDm(request, profile), "break glass approver");
    }
    return { receipt, approval };
  }

  async breakGlassConfirmed(request: AccessRequest, profile: Profile) {
    await this.refreshApproval(request, profile);
    await this.post(request.requesterId, breakGlassConfirmedDm(request, profile), "break glass confirmed");
  }

  async breakGlassSummary(profile: Profile, uses: BreakGlassUse[], week: { from: Date; to: Date }) {
    await this.post(profile.approval.channel, breakGlassSummaryMessage(profile, uses, week), "break glass summary");
  }

  async credentialsDead(request: AccessRequest, profile: Profile, grant: GrantRecord) {
    await this.redactOldCredentials(request, profile, grant);
  }

  /** The credential DM keeps its steps but loses its secrets once they are dead. True once it has. */
  private async redactOldCredentials(request: AccessRequest, profile: Profile, grant: GrantRecord) {
    if (!grant.dmChannel || !grant.dmTs) return true;
    const placeholder: ConnectInstructions = {
      summary: "",
      sections: grant.dmHasSecret ? [{ heading: "Credentials", secret: true }] : [],
      notes: [],
    };
    const message = grantMessage(request, profile, grant, placeholder, { canRefresh: false, redacted: true });
    return this.update(grant.dmChannel, grant.dmTs, message, "redact credentials");
  }

  async revokeFailing(request: AccessRequest, profile: Profile, grant: GrantRecord, reason: string) {
    await this.post(profile.approval.channel, revokeFailingMessage(request, profile, grant, reason), "revoke failing");
  }

  async auditAnchored(channel: string, anchor: AuditAnchor) {
    await this.post(channel, auditAnchorMessage(anchor), "audit anchor");
  }

  async driftFound(profile: Profile, findings: CloudFinding[]) {
    await this.post(profile.approval.channel, driftMessage(profile, findings), "drift");
  }

  async orphansRemoved(profile: Profile, removed: CloudFinding[]) {
    await this.post(profile.approval.channel, orphansRemovedMessage(profile, removed), "orphans removed");
  }
}
