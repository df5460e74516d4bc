/**
 * aws-role: AWS ends each STS session at its Expiration, which jitbot capped at the grant's end. An
 * extension must issue a session that reaches the new end (the refresh path) and DM it, or the
 * keys stop at the old end while the person is told "extended".
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { GrantType } from "../../src/config/schema.js";
import { ManualClock } from "../../src/domain/clock.js";
import { createAwsProviders } from "../../src/grants/aws/index.js";
import type { GrantProvider } from "../../src/grants/provider.js";
import { awsPolicy, ROLE_ARN } from "../aws/helpers.js";
import { tick } from "../expiry/support.js";
import { FakeAws } from "../fakes/aws-server.js";
import { startTestBot, type TestBot, waitFor } from "../support/bot.js";
import { textOf } from "../support/slack-driver.js";
import { requestAndApprove } from "./helpers.js";

const MINUTE = 60_000;
let aws: FakeAws;
let t: TestBot;
const clock = new ManualClock(new Date());

beforeAll(async () => {
  aws = new FakeAws(() => clock.now());
  // IAM's default MaxSessionDuration is 1 h; this role was raised to 4 h for the profile's sessions.
  aws.roleMaxSessionDuration.set(ROLE_ARN, 4 * 3600);
  await aws.start();
  const policy = awsPolicy(", maxSessionDuration: 4h");
  for (const profile of policy.profiles) profile.extension = { max: 7200, autoApprove: true };
  const providers = new Map<GrantType, GrantProvider>(
    createAwsProviders({ env: aws.env(), policy, clock }).map((p) => [p.type, p]),
  );
  t = await startTestBot({ policy, providers, clock });
});
afterAll(async () => {
  await t.close();
  await aws.close();
});

describe("extending an aws-role grant", () => {
  it("issues a session up to the new end, DMs its keys and redacts the old ones", async () => {
    const { id, dm } = await requestAndApprove(t, "eks-pod-manager", 3600);
    const first = aws.sessions.at(-1);
    if (!first) throw new Error("no AssumeRole");
    const oldEnd = (await t.store.grants.get(id))?.expiresAt.getTime() ?? 0;
    expect(first.expiresAt.getTime()).toBeLessThanOrEqual(oldEnd);

    await tick(t, 40 * MINUTE, 10 * MINUTE);
    const views = t.slack.views.size;
    await t.driver.click("U0ALICE", dm, "jit_extend");
    const modal = await waitFor(() => [...t.slack.views.values()][views], "the extension modal");
    const res = await t.driver.submit("U0ALICE", modal, {
      profile: "eks-pod-manager",
      duration: "3600",
      justification: "The node group rollout is slow",
      ticket: "",
    });
    expect(res.json?.response_action).toBeUndefined();
    const fresh = await waitFor(
      () => t.slack.dmsOf("U0ALICE").find((m) => m.ts !== dm.ts && textOf(m).includes("new credentials")),
      "the DM with new keys",
    );
    const second = aws.sessions.at(-1);
    if (!second || second === first) throw new Error("no new session");
    const newEnd = oldEnd + 3600_000;
    expect((await t.store.grants.get(id))?.expiresAt.getTime()).toBe(newEnd);
    // STS states Expiration in whole seconds.
    expect(newEnd - second.expiresAt.getTime()).toBeLessThan(1000);
    expect((await t.store.grants.get(id))?.providerExpiresAt).toEqual(second.expiresAt);
    expect(textOf(fresh)).toContain(second.secretAccessKey);
    const old = t.slack.dmsOf("U0ALICE").find((m) => m.ts === dm.ts);
    expect(old?.edited).toBe(true);
    expect(textOf(old ?? dm)).not.toContain(first.secretAccessKey);

    // Past the old end the new keys still work; the old session has ended as AWS ends it.
    await tick(t, oldEnd - clock.now().getTime() + MINUTE, 10 * MINUTE);
    expect((await t.store.requests.mustGet(id)).status).toBe("active");
    expect(aws.isSessionUsable(second.accessKeyId)).toBe(true);
    expect(aws.isSessionUsable(first.accessKeyId)).toBe(false);
  });
});
