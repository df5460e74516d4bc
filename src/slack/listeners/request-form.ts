import type { App } from "@slack/bolt";
import { domainMessage } from "../../domain/messages.js";
import { asSlackView } from "../blocks/kit.js";
import { profileOptions, requestModal } from "../blocks/request-modal.js";
import { BLOCK, CALLBACK, VALUE } from "../ids.js";
import { guarded } from "../reply.js";
import { readRequestForm, toModalErrors } from "../view-values.js";
import { breakGlassAnswer } from "./break-glass.js";
import type { SlackDeps } from "./deps.js";

/** The request modal: submit, the profile select that reshapes the form, and profile search. */
export function registerRequestForm(app: App, deps: SlackDeps): void {
  const { service, logger, afterAck } = deps;

  app.view(CALLBACK.requestModal, async ({ ack, body, view, client }) => {
    const userId = body.user.id;
    const read = readRequestForm(view);
    // Slack shows view errors only on input blocks; the profile block is on every request form.
    if (!read.ok) return ack({ response_action: "errors", errors: { [BLOCK.profile]: domainMessage(read.error) } });
    const form = read.value;
    let errors: Record<string, string>;
    try {
      errors = toModalErrors((await service.check(userId, form)).errors);
    } catch (error) {
      // A refusal that is not about one field (e.g. an extension of someone else's grant).
      await ack();
      return guarded(client, logger, { userId }, () => Promise.reject(error));
    }
    if (Object.keys(errors).length > 0) {
      return ack({ response_action: "errors", errors });
    }
    // Break glass files nothing yet: the view pushed over the form says what happens, and files it.
    if (form.breakGlass) return ack(breakGlassAnswer(service, form));
    // A submission refused above leaves the modal open to be fixed and resent. The claim is written
    // with the request itself (after the ack), so a replica lost in between loses nothing.
    if (await service.submitted(view)) {
      logger.info({ userId, viewId: view.id }, "a request modal was submitted again; nothing filed twice");
      return ack();
    }
    await ack();
    afterAck.later(() =>
      guarded(client, logger, { userId }, async () => {
        const result = await service.submit(userId, form, view);
        if (!result.ok && "duplicate" in result) {
          logger.info({ userId, viewId: view.id }, "a request modal was submitted again; nothing filed twice");
        } else if (!result.ok) {
          const why = Object.values(toModalErrors(result.errors)).join(" ");
          await client.chat.postMessage({ channel: userId, text: `Your request was not filed: ${why}` });
        }
      }),
    );
  });

  // Choosing a profile (or break glass) rebuilds the form for it (its durations, ticket rules), keeping what was typed.
  for (const block_id of [BLOCK.profile, BLOCK.mode]) {
    app.action({ block_id, action_id: VALUE }, async ({ ack, body, client }) => {
      await ack();
      if (body.type !== "block_actions" || !body.view) return;
      const view = body.view;
      const userId = body.user.id;
      await guarded(client, logger, { userId }, async () => {
        const read = readRequestForm(view);
        if (!read.ok) throw read.error;
        const form = read.value;
        const profiles = await service.requestableProfiles(userId);
        const modal = requestModal(profiles, {
          profileId: form.profileId,
          durationSeconds: form.durationSeconds,
          justification: form.justification,
          extendsRequestId: form.extendsRequestId,
          breakGlass: form.breakGlass,
        });
        await client.views.update({ view_id: view.id, hash: view.hash, view: asSlackView(modal) });
      });
    });
  }

  // Past 100 profiles the select becomes an external_select that searches here.
  app.options<"block_suggestion">({ block_id: BLOCK.profile, action_id: VALUE }, async ({ ack, body }) => {
    const profiles = await service.requestableProfiles(body.user.id);
    await ack(profileOptions(profiles, body.value ?? ""));
  });
}
