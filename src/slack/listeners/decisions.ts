import type { App, BlockButtonAction } from "@slack/bolt";
import type { WebClient } from "@slack/web-api";
import { DomainError } from "../../domain/errors.js";
import { checkDenyReason } from "../../domain/limits.js";
import { domainMessage } from "../../domain/messages.js";
import { checkApprover } from "../../domain/policy.js";
import { asSlackView } from "../blocks/kit.js";
import { denyModal } from "../blocks/request-modal.js";
import { ACTION, BLOCK, CALLBACK } from "../ids.js";
import { type ClickPlace, guarded, tell } from "../reply.js";
import { readDenyForm, readRequestIdButton } from "../view-values.js";
import type { SlackDeps } from "./deps.js";

const REFUSAL = "You can't decide on this request: ";

/** Approve and Deny on the approval message. The service re-checks who may decide. */
export function registerDecisions(app: App, deps: SlackDeps): void {
  const { service, logger, afterAck } = deps;
  /** Records the decision after the ack, in its turn; refusals reach the clicker as one sentence. */
  const decideLater = (
    client: WebClient,
    place: ClickPlace,
    requestId: string,
    decision: "approve" | "deny",
    note?: string,
    clicked?: { channel: string; ts: string },
  ) =>
    afterAck.later(() =>
      guarded(
        client,
        logger,
        place,
        async () => {
          // approval.stepUp: the approval waits for the approver's sign-in; the link is theirs alone.
          const link = decision === "approve" ? await deps.stepUp.offer(requestId, place.userId, clicked) : undefined;
          if (link) await tell(client, place, link);
          else await service.decide(requestId, place.userId, decision, note, clicked);
        },
        REFUSAL,
      ),
    );

  app.action<BlockButtonAction>(ACTION.approve, async ({ ack, body, action, client }) => {
    await ack();
    const place = { userId: body.user.id, channelId: body.channel?.id };
    const requestId = readRequestIdButton(action.value);
    if (!requestId.ok) return guarded(client, logger, place, () => Promise.reject(requestId.error), REFUSAL);
    const clicked =
      body.channel?.id && body.message?.ts ? { channel: body.channel.id, ts: body.message.ts } : undefined;
    decideLater(client, place, requestId.value, "approve", undefined, clicked);
  });

  app.action<BlockButtonAction>(ACTION.deny, async ({ ack, body, action, client }) => {
    await ack();
    const place = { userId: body.user.id, channelId: body.channel?.id };
    await guarded(
      client,
      logger,
      place,
      async () => {
        const read = readRequestIdButton(action.value);
        if (!read.ok) throw read.error;
        const requestId = read.value;
        // Refuse before asking for a reason: a non-approver should not get a form at all.
        const request = await service.request(requestId);
        const profile = service.profile(request.profileId);
        if (!profile) throw new DomainError("PROFILE_NOT_FOUND", { id: request.profileId });
        const refusal = checkApprover(profile, request.requesterId, await service.person(body.user.id));
        if (refusal) throw refusal;
        if (request.status !== "pending") throw new DomainError("ALREADY_DECIDED", { status: request.status });
        const view = denyModal(requestId, { channel: body.channel?.id ?? "", ts: body.message?.ts ?? "" });
        await client.views.open({ trigger_id: body.trigger_id, view: asSlackView(view) });
      },
      REFUSAL,
    );
  });

  app.view(CALLBACK.denyModal, async ({ ack, body, view, client }) => {
    const refuse = (error: DomainError) =>
      ack({ response_action: "errors", errors: { [BLOCK.reason]: domainMessage(error) } });
    const read = readDenyForm(view);
    if (!read.ok) return refuse(read.error);
    const refusal = checkDenyReason(read.value.reason);
    if (refusal) return refuse(refusal);
    await ack();
    const { requestId, channel, reason } = read.value;
    decideLater(client, { userId: body.user.id, channelId: channel }, requestId, "deny", reason.trim());
  });
}
