import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { signedHeaders } from "../../src/slack/signing.js";
import { Store } from "../../src/store/index.js";
import { SIGNING_SECRET, startTestBot, type TestBot, waitFor } from "../support/bot.js";
import { countRows } from "../support/store-rows.js";
import { tempDir } from "../support/temp.js";

const tmp = tempDir("jitbot-replay-");
afterAll(() => tmp.cleanup());

const count = (t: TestBot) => countRows(t.store, "requests");

/** Records the exact bytes and signature headers of every request the driver sends. */
function recordSent(t: TestBot) {
  const sent: { body: string; contentType: string; headers: Record<string, string> }[] = [];
  const post = t.driver.post.bind(t.driver);
  t.driver.post = (body, contentType, headers = signedHeaders(SIGNING_SECRET, body)) => {
    sent.push({ body, contentType, headers });
    return post(body, contentType, headers);
  };
  return sent;
}

describe("a replayed view_submission", () => {
  it("files nothing twice, even after a restart: the replay only closes the modal", async () => {
    const dbFile = join(tmp.dir, "jitbot.db");
    const t = await startTestBot({ location: dbFile });
    const sent = recordSent(t);
    await t.driver.command("U0ALICE", "request aks-prod-sre");
    const view = await waitFor(() => [...t.slack.views.values()].find((v) => v.userId === "U0ALICE"), "the modal");
    const submitted = await t.driver.submit("U0ALICE", view, {
      profile: "aks-prod-sre",
      duration: "3600",
      justification: "Investigating incident INC-7 in the cluster",
      ticket: "OPS-7",
    });
    expect(submitted.status).toBe(200);
    await waitFor(() => t.slack.messagesIn("C0APPROVALS").length === 1, "the approval message");
    const submission = sent.at(-1);
    if (!submission) throw new Error("nothing sent");

    // The same bytes with the same valid signature, as anyone who captured them could resend.
    const replay = await t.driver.post(submission.body, submission.contentType, submission.headers);
    expect(replay.status).toBe(200);
    expect(replay.text).toBe("");
    // Stopping waits for the work clicks start after their ack: a second filing would be done by now.
    await t.close();
    expect(t.slack.messagesIn("C0APPROVALS")).toHaveLength(1);

    // The claim is in the database: a restart does not reopen the window.
    const again = await startTestBot({ location: dbFile });
    try {
      const after = await again.driver.post(submission.body, submission.contentType, submission.headers);
      expect(after.status).toBe(200);
      expect((await fetch(`${again.bot.url}/healthz`)).status).toBe(200);
    } finally {
      await again.close();
    }
    expect(again.slack.messagesIn("C0APPROVALS")).toHaveLength(0);
    const store = await Store.open(dbFile);
    expect(await countRows(store, "requests")).toBe(1);
    await store.close();
  });

  it("a submission refused for a field stays open: fixed and resent, it files once", async () => {
    const t = await startTestBot();
    try {
      await t.driver.command("U0ALICE", "request aks-prod-sre");
      const view = await waitFor(() => [...t.slack.views.values()].find((v) => v.userId === "U0ALICE"), "the modal");
      const values = { profile: "aks-prod-sre", duration: "3600", justification: "short", ticket: "OPS-7" };
      const refused = await t.driver.submit("U0ALICE", view, values);
      expect(refused.json?.response_action).toBe("errors");
      const fixed = await t.driver.submit("U0ALICE", view, {
        ...values,
        justification: "Investigating incident INC-7 in the cluster",
      });
      expect(fixed.json?.response_action).toBeUndefined();
      await waitFor(() => t.slack.messagesIn("C0APPROVALS").length === 1, "the approval message");
      expect(await count(t)).toBe(1);
    } finally {
      await t.close();
    }
  });
});
