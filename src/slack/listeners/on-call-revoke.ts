import type { App, BlockButtonAction } from "@slack/bolt";
import { revokeAutoApproved } from "../../service/on-call-approval.js";
import { ACTION } from "../ids.js";
import { answer, guarded } from "../reply.js";
import { readRequestIdButton } from "../view-values.js";
import type { SlackDeps } from "./deps.js";

const REFUSAL = "You can't revoke this access: ";

/** Revoke on an on-call auto-approval message; the service checks that the clicker is an approver. */
export function registerOnCallRevoke(app: App, deps: SlackDeps): void {
  const { service, logger, afterAck } = deps;
  app.action<BlockButtonAction>(ACTION.revokeAutoApproved, async ({ ack, body, action, client }) => {
    await ack();
    const place = { userId: body.user.id, channelId: body.channel?.id };
    const requestId = readRequestIdButton(action.value);
    if (!requestId.ok) return guarded(client, logger, place, () => Promise.reject(requestId.error));
    afterAck.later(() =>
      guarded(
        client,
        logger,
        place,
        () => answer(client, place, revokeAutoApproved(service, requestId.value, place.userId)),
        REFUSAL,
      ),
    );
  });
}
