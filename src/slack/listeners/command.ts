import type { App } from "@slack/bolt";
import { DomainError } from "../../domain/errors.js";
import { asSlackView } from "../blocks/kit.js";
import { helpMessage, listMessage } from "../blocks/overview.js";
import { requestModal } from "../blocks/request-modal.js";
import { parseJitCommand } from "../command-parser.js";
import { escapeMrkdwn } from "../escape.js";
import { answer, guarded } from "../reply.js";
import type { SlackDeps } from "./deps.js";

/** `/jit …`: help and list answer in the ack; request opens the form; cancel/revoke act. */
export function registerCommand(app: App, deps: SlackDeps): void {
  app.command("/jit", async ({ command, ack, client }) => {
    const { service } = deps;
    const userId = command.user_id;
    const parsed = parseJitCommand(
      command.text ?? "",
      service.policy.profiles.map((p) => p.id),
    );
    const ephemeral = (message: { text: string; blocks?: object[] }) => ack({ response_type: "ephemeral", ...message });
    switch (parsed.kind) {
      case "help":
        return ephemeral(helpMessage(await service.requestableProfiles(userId)));
      case "unknown":
        return ephemeral({ text: `I don't know \`${escapeMrkdwn(parsed.word)}\`. Try \`/jit help\`.` });
      case "list":
        return ephemeral(
          listMessage(
            service.myAccess(userId),
            new Map(service.policy.profiles.map((p) => [p.id, p])),
            deps.clock.now(),
          ),
        );
      case "cancel":
      case "revoke": {
        if (!parsed.id)
          return ephemeral({ text: `Which request? \`/jit ${parsed.kind} <id>\` — \`/jit list\` shows the ids.` });
        const id = parsed.id;
        await ephemeral({ text: parsed.kind === "cancel" ? `Withdrawing ${id}…` : `Revoking ${id}…` });
        const kind = parsed.kind;
        return deps.afterAck.later(() =>
          guarded(client, deps.logger, { userId }, () =>
            answer(client, { userId }, kind === "cancel" ? service.cancel(id, userId) : service.revoke(id, userId)),
          ),
        );
      }
      case "request": {
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
