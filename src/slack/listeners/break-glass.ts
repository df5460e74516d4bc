import type { App, BlockButtonAction } from "@slack/bolt";
import { DomainError } from "../../domain/errors.js";
import { domainMessage } from "../../domain/messages.js";
import type { AccessService } from "../../service/access-service.js";
import { breakGlassConfirmView, breakGlassMetadata } from "../blocks/break-glass-form.js";
import { asSlackView } from "../blocks/kit.js";
import { ACTION, BLOCK, CALLBACK } from "../ids.js";
import { guarded } from "../reply.js";
import {
  PRIVATE_METADATA_MAX,
  type RequestFormValues,
  readBreakGlassConfirm,
  readRequestIdButton,
  toModalErrors,
} from "../view-values.js";
import type { SlackDeps } from "./deps.js";

const REFUSAL = "You can't confirm this break glass: ";

type FormAnswer =
  | { response_action: "push"; view: ReturnType<typeof asSlackView> }
  | { response_action: "errors"; errors: Record<string, string> };

/**
 * The request form's answer to a break glass that passed every check: push the view that says what
 * happens next (Bolt's ViewPushResponseAction). A reason too long to carry in its metadata is
 * refused on the field, with everything typed kept.
 */
export function breakGlassAnswer(service: AccessService, form: RequestFormValues): FormAnswer {
  const profile = service.profile(form.profileId);
  const draft = {
    profileId: form.profileId,
    durationSeconds: form.durationSeconds ?? profile?.duration.default ?? 0,
    justification: form.justification.trim(),
    ticket: form.ticket.trim(),
  };
  if (!profile) {
    const error = new DomainError("PROFILE_NOT_FOUND", { id: form.profileId });
    return { response_action: "errors", errors: { [BLOCK.profile]: domainMessage(error) } };
  }
  const overhead = breakGlassMetadata({ ...draft, justification: "" }).length;
  if (breakGlassMetadata(draft).length > PRIVATE_METADATA_MAX) {
    const error = new DomainError("BREAK_GLASS_REASON_TOO_LONG", {
      max: Math.floor((PRIVATE_METADATA_MAX - overhead) / 2),
    });
    return { response_action: "errors", errors: { [BLOCK.justification]: domainMessage(error) } };
  }
  return { response_action: "push", view: asSlackView(breakGlassConfirmView(profile, draft)) };
}

/** The break-glass confirmation view's submit, and an approver's Confirm. */
export function registerBreakGlass(app: App, deps: SlackDeps): void {
  const { service, logger, afterAck } = deps;

  app.view(CALLBACK.breakGlassConfirm, async ({ ack, body, view, client }) => {
    const userId = body.user.id;
    const read = readBreakGlassConfirm(view);
    // The submit closes the whole stack (form and confirmation); a refusal reaches the person by DM.
    if (!read.ok) {
      await ack({ response_action: "clear" });
      return guarded(client, logger, { userId }, () => Promise.reject(read.error));
    }
    if (await service.submitted(view)) {
      logger.info({ userId, viewId: view.id }, "a break glass was confirmed again; nothing filed twice");
      return ack({ response_action: "clear" });
    }
    await ack({ response_action: "clear" });
    afterAck.later(() =>
      guarded(client, logger, { userId }, async () => {
        // Everything is checked again: the view's metadata is only what this bot wrote, if it was.
        const result = await service.submit(userId, read.value, view);
        if (!result.ok && !("duplicate" in result)) {
          const why = Object.values(toModalErrors(result.errors)).join(" ");
          await client.chat.postMessage({ channel: userId, text: `Your break glass was not filed: ${why}` });
        }
      }),
    );
  });

  app.action<BlockButtonAction>(ACTION.confirmBreakGlass, async ({ ack, body, action, client }) => {
    await ack();
    const place = { userId: body.user.id, channelId: body.channel?.id };
    const requestId = readRequestIdButton(action.value);
    if (!requestId.ok) return guarded(client, logger, place, () => Promise.reject(requestId.error), REFUSAL);
    const clicked =
      body.channel?.id && body.message?.ts ? { channel: body.channel.id, ts: body.message.ts } : undefined;
    afterAck.later(() =>
      guarded(
        client,
        logger,
        place,
        async () => {
          await service.confirmBreakGlass(requestId.value, place.userId, clicked);
        },
        REFUSAL,
      ),
    );
  });
}
