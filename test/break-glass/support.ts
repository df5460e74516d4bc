import { expect } from "vitest";
import type { PostedMessage } from "../../src/playground/slack-web-api.js";
import { type TestBot, waitFor } from "../support/bot.js";

export const PROFILE = "aks-prod-incident";
export const WINDOW_MS = 15 * 60_000;
export const REASON = "Checkout is down (INC-42), the SRE on call needs the cluster now";

/** The request modal opened by `/jit request <profile>` for `userId`. */
export async function openForm(t: TestBot, userId: string, profileId = PROFILE) {
  const seen = [...t.slack.views.values()].filter((v) => v.userId === userId).length;
  await t.driver.command(userId, `request ${profileId}`);
  return waitFor(() => [...t.slack.views.values()].filter((v) => v.userId === userId)[seen], "the modal");
}

/**
 * Breaks glass the way a person does: the form with Break glass chosen, the confirmation view it
 * pushes, its submit. Resolves once the access is active and the background work settled.
 */
export async function breakGlass(
  t: TestBot,
  options: { userId?: string; durationSeconds?: number; justification?: string } = {},
): Promise<{ id: string; message: PostedMessage; pushed: Record<string, unknown> }> {
  const userId = options.userId ?? "U0ALICE";
  const form = await openForm(t, userId);
  const answer = await t.driver.submit(userId, form, {
    profile: PROFILE,
    mode: "break-glass",
    duration: String(options.durationSeconds ?? 3600),
    justification: options.justification ?? REASON,
    ticket: "INC-42",
  });
  expect(answer.json?.response_action, JSON.stringify(answer.json)).toBe("push");
  const pushed = answer.json?.view as Record<string, unknown>;
  // Slack stacks the pushed view over the form; its submission comes from that view.
  const confirmation = t.slack.openViewFor(userId, pushed);
  const before = t.slack.messagesIn("C0APPROVALS").length;
  const done = await t.driver.submit(userId, confirmation, {});
  expect(done.json?.response_action, `${done.status} ${done.text}`).toBe("clear");
  const message = await waitFor(
    () =>
      t.slack
        .messagesIn("C0APPROVALS")
        .slice(before)
        .find((m) => m.text.includes("Break glass")),
    "the break-glass message",
  );
  const id = /JR-[A-Z0-9]{6}/.exec(message.text)?.[0];
  if (!id) throw new Error("no request id in the break-glass message");
  await waitFor(async () => (await t.store.requests.mustGet(id)).status === "active", "the access to be granted");
  // The message's ts is stored just after Slack answers the post (the grant does not wait for it).
  await waitFor(async () => (await t.store.requests.mustGet(id)).approvalTs, "the channel message's ts stored");
  await t.settle();
  return { id, message, pushed };
}

/** The channel message as it reads now (chat.update edits it in place). */
export function current(t: TestBot, message: PostedMessage): PostedMessage {
  return t.slack.messagesIn(message.channel).find((m) => m.ts === message.ts) ?? message;
}

/** Clicks `actionId` on the message as it reads now (the click's work runs after the ack). */
export async function click(t: TestBot, userId: string, message: PostedMessage, actionId: string): Promise<void> {
  const res = await t.driver.click(userId, current(t, message), actionId);
  expect(res.status).toBe(200);
}
