import type { App, BlockButtonAction } from "@slack/bolt";
import type { WebClient } from "@slack/web-api";
import { DomainError } from "../../domain/errors.js";
import { extensionMaxTotal } from "../../domain/extension.js";
import { durationChoices } from "../../domain/policy.js";
import { asSlackView } from "../blocks/kit.js";
import { requestModal } from "../blocks/request-modal.js";
import { ACTION } from "../ids.js";
import { answer, type ClickPlace, guarded } from "../reply.js";
import { readRequestIdButton } from "../view-values.js";
import type { SlackDeps } from "./deps.js";

/** Buttons in the requester's DMs and App Home: withdraw, revoke, refresh, extend, request. */
export function registerGrantActions(app: App, deps: SlackDeps): void {
  const { service, logger, afterAck } = deps;
  /** Clicks that change state: the work waits its turn after the ack (SlackLane). */
  const button = (id: string, work: (requestId: string, place: ClickPlace, client: WebClient) => Promise<void>) =>
    app.action<BlockButtonAction>(id, async ({ ack, body, action, client }) => {
      await ack();
      const place = { userId: body.user.id, channelId: body.channel?.id };
      const requestId = readRequestIdButton(action.value);
      if (!requestId.ok) return guarded(client, logger, place, () => Promise.reject(requestId.error));
      afterAck.later(() => guarded(client, logger, place, () => work(requestId.value, place, client)));
    });
  /** Clicks that open a modal: its trigger dies in 3 s, so the work runs now. */
  const modalButton = (id: string, work: (requestId: string, body: BlockButtonAction) => Promise<void>) =>
    app.action<BlockButtonAction>(id, async ({ ack, body, action, client }) => {
      await ack();
      const place = { userId: body.user.id, channelId: body.channel?.id };
      await guarded(client, logger, place, () => work(action.value ?? "", body));
    });

  button(ACTION.cancel, (id, place, client) => answer(client, place, service.cancel(id, place.userId)));
  button(ACTION.revoke, (id, place, client) => answer(client, place, service.revoke(id, place.userId)));
  button(ACTION.refresh, (id, place) => service.refresh(id, place.userId));

  modalButton(ACTION.extend, async (value, body) => {
    const requestId = readRequestIdButton(value);
    if (!requestId.ok) throw requestId.error;
    const request = await service.request(requestId.value);
    if (request.requesterId !== body.user.id) throw new DomainError("NOT_YOUR_REQUEST");
    const profile = service.profile(request.profileId);
    if (!profile?.extension || request.status !== "active") throw new DomainError("EXTENSION_NOT_ALLOWED");
    // Prefill what the extension caps allow, or the form is refused as it comes.
    const room = await service.extensionRoom(request.id, profile);
    if (room <= 0) throw new DomainError("EXTENSION_OVER_TOTAL", { maxTotal: extensionMaxTotal(profile), left: 0 });
    const cap = Math.min(profile.duration.default, room);
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
