import type { PostedMessage } from "../../src/playground/slack-web-api.js";
import { type TestBot, waitFor } from "./bot.js";

/** A person asks for `profileId` through the modal, as in Slack; returns the id and approval message. */
export async function fileRequest(
  t: TestBot,
  profileId: string,
  durationSeconds: number,
  userId = "U0ALICE",
): Promise<{ id: string; approval: PostedMessage }> {
  const views = [...t.slack.views.values()].filter((v) => v.userId === userId).length;
  await t.driver.command(userId, `request ${profileId}`);
  const view = await waitFor(() => [...t.slack.views.values()].filter((v) => v.userId === userId)[views], "the modal");
  const before = t.slack.messagesIn("C0APPROVALS").length;
  const res = await t.driver.submit(userId, view, {
    profile: profileId,
    duration: String(durationSeconds),
    justification: "Investigating incident INC-7 in the cluster",
    ticket: "OPS-7",
  });
  if (res.json?.response_action) throw new Error(`modal refused: ${JSON.stringify(res.json)}`);
  const approval = await waitFor(() => t.slack.messagesIn("C0APPROVALS")[before], "the approval message");
  const id = /JR-[A-Z0-9]{6}/.exec(approval.text)?.[0];
  if (!id) throw new Error("no request id in the approval message");
  return { id, approval };
}

/** Files, Lee approves; resolves when the grant DM (or the failure DM) arrived and work settled. */
export async function requestAndApprove(
  t: TestBot,
  profileId: string,
  durationSeconds: number,
): Promise<{ id: string; approval: PostedMessage; dm: PostedMessage }> {
  const { id, approval } = await fileRequest(t, profileId, durationSeconds);
  await t.driver.click("U0LEAD", approval, "jit_approve");
  const dm = await waitFor(
    () => t.slack.dmsOf("U0ALICE").find((m) => m.text.includes(id) && /^(Access granted|Granting)/.test(m.text)),
    "the grant DM",
  );
  await t.bot.engine.idle();
  return { id, approval, dm };
}
