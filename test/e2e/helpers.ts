import type { PostedMessage } from "../../src/playground/slack-web-api.js";
import { type TestBot, waitFor } from "../support/bot.js";

/** Alice asks for `profileId` through the modal; Lee approves; resolves when the grant DM arrived. */
export async function requestAndApprove(
  t: TestBot,
  profileId: string,
  durationSeconds: number,
): Promise<{ id: string; approval: PostedMessage; dm: PostedMessage }> {
  const userId = "U0ALICE";
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
  const id = /JR-[A-Z0-9]{6}/.exec(approval.text)?.[0] ?? "";
  await t.driver.click("U0LEAD", approval, "jit_approve");
  const dm = await waitFor(
    () => t.slack.dmsOf(userId).find((m) => m.text.includes(id) && /^(Access granted|Granting)/.test(m.text)),
    "the grant DM",
  );
  await t.bot.engine.idle();
  return { id, approval, dm };
}
