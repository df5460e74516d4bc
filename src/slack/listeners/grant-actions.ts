import type { App, BlockButtonAction } from "@slack/bolt";
import { DomainError } from "../../domain/errors.js";
import { durationChoices } from "../../domain/policy.js";
import { asSlackView } from "../blocks/kit.js";
import { requestModal } from "../blocks/request-modal.js";
import { ACTION } from "../ids.js";
import { guarded } from "../reply.js";
import { readRequestIdButton } from "../view-values.js";
import type { SlackDeps } from "./deps.js";

/** Buttons in the requester's DMs and App Home: withdraw, revoke, refresh, extend, request. */
export function registerGrantActions(app: App, deps: SlackDeps): void {
  const { service, logger, afterAck } = deps;
  /** Clicks that change state: the work waits its turn after the ack (SlackLane). */
  const button = (id: string, work: (requestId: string, userId: string) => Promise<void>) =>
    app.action<BlockButtonAction>(id, async ({ ack, body, action, client }) => {
      await ack();
      const place = { userId: body.user.id, channelId: body.channel?.id };
      const requestId = readRequestIdButton(action.value);
      if (!requestId.ok) return guarded(client, logger, place, () => Promise.reject(requestId.error));
      afterAck.later(() => guarded(client, logger, place, () => work(requestId.value, place.userId)));
    });
  /** Clicks that open a modal: its trigger dies in 3 s, so the work runs now. */
  const modalButton = (id: string, work: (requestId: string, body: BlockButtonAction) => Promise<void>) =>
    app.action<BlockButtonAction>(id, async ({ ack, body, action, client }) => {
      await ack();
      const place = { userId: body.user.id, channelId: body.channel?.id };
      await guarded(client, logger, place, () => work(action.value ?? "", body));
    });

  button(ACTION.cancel, (requestId, userId) => service.cancel(requestId, userId).then(() => undefined));
  button(ACTION.revoke, (requestId, userId) => service.revoke(requestId, userId));
  button(ACTION.refresh, (requestId, userId) => service.refresh(requestId, userId));

  modalButton(ACTION.extend, async (value, body) => {
    const requestId = readRequestIdButton(value);
    if (!requestId.ok) throw requestId.error;
    const request = service.request(requestId.value);
    if (request.requesterId !== body.user.id) throw new DomainError("NOT_YOUR_REQUEST");
    const profile = service.profile(request.profileId);
    if (!profile?.extension || request.status !== "active") throw new DomainError("EXTENSION_NOT_ALLOWED");
    // Prefill what the extension cap allows, or the form is refused as it comes.
    const cap = Math.min(profile.duration.default, profile.extension.max ?? profile.duration.max);
    const view = requestModal([profile], {
      profileId: profile.id,
      durationSeconds:
        durationChoices(profile)
          .filter((seconds) => seconds <= cap)
          .at(-1) ?? cap,
      justification: request.justification,
      extendsRequestId: request.id,
    });
    await app.client.views.open({ trigger_id: body.trigger_id, view: asSlackView(view) });
  });

  modalButton(ACTION.openRequest, async (_value, body) => {
    const profiles = await service.requestableProfiles(body.user.id);
    if (profiles.length === 0) throw new DomainError("NOT_A_REQUESTER", { profile: "any profile" });
    await app.client.views.open({ trigger_id: body.trigger_id, view: asSlackView(requestModal(profiles)) });
  });
}
