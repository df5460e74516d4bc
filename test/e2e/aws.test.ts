import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { GrantType } from "../../src/config/schema.js";
import { ManualClock } from "../../src/domain/clock.js";
import { createAwsProviders } from "../../src/grants/aws/index.js";
import type { GrantProvider } from "../../src/grants/provider.js";
import { awsPolicy } from "../aws/helpers.js";
import { FakeAws } from "../fakes/aws-server.js";
import { startTestBot, type TestBot, waitFor } from "../support/bot.js";
import { textOf } from "../support/slack-driver.js";
import { databaseHolds } from "../support/store-rows.js";
import { requestAndApprove } from "./helpers.js";

let aws: FakeAws;
let t: TestBot;
const clock = new ManualClock(new Date());

beforeAll(async () => {
  aws = new FakeAws(() => clock.now());
  await aws.start();
  const policy = awsPolicy(", maxSessionDuration: 1h");
  const providers = new Map<GrantType, GrantProvider>(
    createAwsProviders({ env: aws.env(), policy, clock }).map((p) => [p.type, p]),
  );
  t = await startTestBot({ policy, providers, clock });
});
afterAll(async () => {
  await t.close();
  await aws.close();
});

describe("Slack → approve → AssumeRole → DM, with the real AWS SDK", () => {
  it("DMs copy-paste credentials, a credentials profile and a kubeconfig; no secret is stored or logged", async () => {
    const { id, dm } = await requestAndApprove(t, "eks-pod-manager", 2 * 3600);
    const session = aws.sessions.at(-1);
    if (!session) throw new Error("no AssumeRole");
    const call = aws.calls.find((c) => c.action === "AssumeRole");
    expect(call?.params.SourceIdentity).toBe("alice@contoso.com");
    expect(call?.params.DurationSeconds).toBe("3600");
    expect(JSON.stringify(call?.params)).toContain(id);
    const text = textOf(dm);
    expect(text).toContain("export AWS_ACCESS_KEY_ID=");
    expect(text).toContain(session.secretAccessKey);
    expect(text).toContain("aws eks update-kubeconfig --name britive-test --region us-west-2");
    expect(text).toContain("eks get-token");
    expect(text).toContain("kubectl auth can-i");
    expect(text).toContain("jit_refresh");
    for (const secret of [session.secretAccessKey, session.sessionToken]) {
      expect(await databaseHolds(t.store, t.location, secret)).toBe(false);
      expect(t.logs.join("\n")).not.toContain(secret);
    }
  });

  it("refreshes credentials from the DM's button while the grant is active, and redacts the old ones", async () => {
    const { id, dm } = await requestAndApprove(t, "eks-pod-manager", 2 * 3600);
    const before = aws.sessions.length;
    await clock.advance(50 * 60_000);
    await t.driver.click("U0ALICE", dm, "jit_refresh");
    const fresh = await waitFor(
      () =>
        t.slack
          .dmsOf("U0ALICE")
          .find((m) => m.ts !== dm.ts && m.text.includes(id) && textOf(m).includes("Fresh credentials")),
      "the refreshed DM",
    );
    expect(aws.sessions.length).toBe(before + 1);
    expect(textOf(fresh)).toContain(aws.sessions.at(-1)?.secretAccessKey ?? "missing");
    const old = t.slack.dmsOf("U0ALICE").find((m) => m.ts === dm.ts);
    expect(old?.edited).toBe(true);
    expect(textOf(old ?? dm)).not.toContain(aws.sessions[before - 1]?.secretAccessKey ?? "missing");
  });

  it("refuses a refresh click by someone else", async () => {
    const { dm } = await requestAndApprove(t, "eks-pod-manager", 3600);
    const before = aws.sessions.length;
    await t.driver.click("U0EVE", dm, "jit_refresh");
    await waitFor(() => t.slack.ephemeralsFor("U0EVE").length > 0 || t.slack.dmsOf("U0EVE").length > 0, "a refusal");
    expect(aws.sessions.length).toBe(before);
  });
});
