import type { App } from "@slack/bolt";
import { requestables } from "../../domain/bundle.js";
import { DomainError } from "../../domain/errors.js";
import { isRequestId } from "../../domain/ids.js";
import { checkLength } from "../../domain/limits.js";
import { domainMessage } from "../../domain/messages.js";
import { asSlackView } from "../blocks/kit.js";
import { helpMessage, listMessage } from "../blocks/overview.js";
import { requestModal } from "../blocks/request-modal.js";
import { parseJitCommand } from "../command-parser.js";
import { escapeMrkdwn, truncate } from "../escape.js";
import { answer, guarded } from "../reply.js";
import type { SlackDeps } from "./deps.js";

/** `/jit …`: help and list answer in the ack; request opens the form; cancel/revoke act. */
export function registerCommand(app: App, deps: SlackDeps): void {
  app.command("/jit", async ({ command, ack, client }) => {
    const { service } = deps;
    const userId = command.user_id;
    const text = typeof command.text === "string" ? command.text : "";
    const ephemeral = (message: { text: string; blocks?: object[] }) => ack({ response_type: "ephemeral", ...message });
    const tooLong = checkLength("command", text);
    if (tooLong) return ephemeral({ text: domainMessage(tooLong) });
    const parsed = parseJitCommand(
      text,
      requestables(service.policy).map((p) => p.id),
    );
    switch (parsed.kind) {
      case "help":
        return ephemeral(helpMessage(await service.requestableProfiles(userId)));
      case "unknown":
        return ephemeral({ text: `I don't know \`${escapeMrkdwn(truncate(parsed.word, 40))}\`. Try \`/jit help\`.` });
      case "list":
        return ephemeral(
          listMessage(
            await service.myAccess(userId),
            new Map(requestables(service.policy).map((p) => [p.id, p])),
            deps.clock.now(),
          ),
        );
      case "cancel":
      case "revoke": {
        if (!parsed.id)
          return ephemeral({ text: `Which request? \`/jit ${parsed.kind} <id>\` — \`/jit list\` shows the ids.` });
        const id = parsed.id;
        if (!isRequestId(id)) return ephemeral({ text: domainMessage(new DomainError("REQUEST_ID_INVALID")) });
        await ephemeral({ text: parsed.kind === "cancel" ? `Withdrawing ${id}…` : `Revoking ${id}…` });
        const kind = parsed.kind;
        return deps.afterAck.later(() =>
          guarded(client, deps.logger, { userId }, () =>
            answer(client, { userId }, kind === "cancel" ? service.cancel(id, userId) : service.revoke(id, userId)),
          ),
        );
      }
      case "request": {
        // The form could only show the first 2,000 characters: refuse rather than drop the rest.
        const justificationTooLong = checkLength("justification", parsed.justification ?? "");
        if (justificationTooLong) return ephemeral({ text: domainMessage(justificationTooLong) });
        await ack();
        return guarded(client, deps.logger, { userId }, async () => {
          const profiles = await service.requestableProfiles(userId);
          if (profiles.length === 0) throw new DomainError("NOT_A_REQUESTER", { profile: "any profile" });
          const unknown = parsed.unknownProfile;
          const view = requestModal(profiles, {
            profileId: parsed.profileId,
            durationSeconds: parsed.durationSeconds,
            justification: parsed.justification,
            notice: unknown
              ? `There is no profile \`${escapeMrkdwn(unknown)}\` you can request; pick one below.`
              : undefined,
          });
          await client.views.open({ trigger_id: command.trigger_id, view: asSlackView(view) });
        });
      }
    }
  });
}
