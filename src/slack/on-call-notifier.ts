import type { WebClient } from "@slack/web-api";
import type { Profile } from "../config/schema.js";
import type { AccessRequest, Approval } from "../domain/request.js";
import type { OnCallNotifier } from "../service/on-call-approval.js";
import type { Logger, MessageRef } from "../service/ports.js";
import { approvalMessage } from "./blocks/approval.js";
import type { Block } from "./blocks/kit.js";
import { autoApprovalSkippedMessage, autoApprovedDm } from "./blocks/on-call.js";

/** Slack's side of on-call auto-approval. Like SlackNotifier, a lost message never undoes a decision. */
export class SlackOnCallNotifier implements OnCallNotifier {
  constructor(
    private readonly client: WebClient,
    private readonly logger: Logger,
  ) {}

  private async post(
    channel: string,
    message: { text: string; blocks: Block[] },
    what: string,
    threadTs?: string,
  ): Promise<MessageRef | undefined> {
    try {
      const answer = await this.client.chat.postMessage({
        channel,
        text: message.text,
        blocks: message.blocks,
        ...(threadTs ? { thread_ts: threadTs } : {}),
      });
      return answer.channel && answer.ts ? { channel: answer.channel, ts: answer.ts } : undefined;
    } catch (error) {
      this.logger.warn({ channel, what, err: (error as Error).message }, "could not post to Slack");
      return undefined;
    }
  }

  async autoApproved(request: AccessRequest, profile: Profile, approvals: Approval[]) {
    const approval = await this.post(
      profile.approval.channel,
      approvalMessage(request, profile, approvals),
      "approval",
    );
    await this.post(request.requesterId, autoApprovedDm(request, profile), "auto-approved");
    return approval;
  }

  async autoApprovalSkipped(request: AccessRequest, profile: Profile, sentence: string, inChannel: boolean) {
    const message = autoApprovalSkippedMessage(request, sentence);
    await this.post(request.requesterId, message, "auto-approval skipped");
    if (inChannel) {
      const channel = request.approvalChannel ?? profile.approval.channel;
      await this.post(channel, message, "auto-approval skipped", request.approvalTs);
    }
  }
}
