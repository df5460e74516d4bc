import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { GrantType } from "../../src/config/schema.js";
import { ManualClock } from "../../src/domain/clock.js";
import { createAwsProviders } from "../../src/grants/aws/index.js";
import { SimulatedCrash } from "../../src/grants/engine.js";
import type { GrantProvider } from "../../src/grants/provider.js";
import { awsPolicy } from "../aws/helpers.js";
import { requestAndApprove } from "../e2e/helpers.js";
import { FakeAws } from "../fakes/aws-server.js";
import { startTestBot, type TestBot, waitFor } from "../support/bot.js";
import { fileRequest } from "../support/flow.js";
import { auditOf, channelCount, channelPosts } from "./support.js";

const CLUSTER = "britive-test";
const ALICE_ROLE = "arn:aws:iam::123456789012:role/people/alice";
const OMAR_ROLE = "arn:aws:iam::123456789012:role/people/omar";
let aws: FakeAws;
let t: TestBot;
const clock = new ManualClock(new Date());
let crashNextGrant = false;

function plant(principalArn: string, tags: Record<string, string>): void {
  aws.accessEntries.set(`${CLUSTER}|${principalArn}`, {
    clusterName: CLUSTER,
    principalArn,
    tags,
    policies: new Map(),
  });
}
const exists = (principalArn: string) => aws.accessEntries.has(`${CLUSTER}|${principalArn}`);

/** A request whose grant failed and was rolled back: CreateAccessEntry answered 500. */
async function rolledBack(): Promise<string> {
  aws.failNext(500, "ServerException", "Internal failure");
  const { id } = await requestAndApprove(t, "eks-view", 3600);
  expect((await t.store.grants.get(id))?.status).toBe("failed");
  return id;
}

/** The same for another person (Omar), filed and approved through Slack. */
async function rolledBackFor(userId: string): Promise<string> {
  aws.failNext(500, "ServerException", "Internal failure");
  const { id, approval } = await fileRequest(t, "eks-view", 3600, userId);
  await t.driver.click("U0LEAD", approval, "jit_approve");
  await waitFor(async () => (await t.store.grants.get(id))?.status === "failed", "the rolled-back grant");
  await t.bot.engine.idle();
  return id;
}

beforeAll(async () => {
  aws = new FakeAws(() => clock.now());
  await aws.start();
  // Three entries per ListAccessEntries page, so the reaper must follow nextToken.
  aws.accessEntryPageSize = 3;
  const policy = awsPolicy();
  const providers = new Map<GrantType, GrantProvider>(
    createAwsProviders({ env: aws.env(), policy, clock }).map((p) => [p.type, p]),
  );
  t = await startTestBot({
    policy,
    providers,
    clock,
    engine: {
      crashAfterProviderCall: (verb) => {
        if (verb === "grant" && crashNextGrant) {
          crashNextGrant = false;
          throw new SimulatedCrash("killed after the cloud call");
        }
      },
    },
  });
  await t.bot.scheduler.startupReap;
  // Someone else's entries on the cluster: never jitbot's business.
  for (let i = 0; i < 7; i++) plant(`arn:aws:iam::123456789012:role/nodes/node-${i}`, {});
});
afterAll(async () => {
  await t.close();
  await aws.close();
});

describe("the orphan reaper on EKS access entries", () => {
  it("deletes an entry tagged for a rolled-back request, audits it and announces it once", async () => {
    const id = await rolledBack();
    // The CreateAccessEntry that was still in transit lands after the roll-back.
    plant(ALICE_ROLE, { "managed-by": "jitbot", "jit-request-id": id });
    const before = channelCount(t);
    await t.bot.scheduler.run("reap");
    expect(exists(ALICE_ROLE)).toBe(false);
    expect(await auditOf(t, "orphan.removed")).toEqual([
      expect.objectContaining({ requestId: id, detail: expect.objectContaining({ profile: "eks-view" }) }),
    ]);
    const posts = channelPosts(t, before);
    expect(posts).toHaveLength(1);
    expect(posts[0]?.text).toContain("orphaned");
    expect(JSON.stringify(posts[0]?.blocks)).toContain(ALICE_ROLE);
    // Idempotent: the next pass finds nothing and says nothing.
    await t.bot.scheduler.run("reap");
    expect(channelPosts(t, before)).toHaveLength(1);
    expect(await auditOf(t, "orphan.removed")).toHaveLength(1);
    expect([...aws.accessEntries.keys()].filter((k) => k.includes("/nodes/"))).toHaveLength(7);
  });

  it("removes an orphan next to an active grant's entry and a grant in flight's, and leaves those two alone", async () => {
    const omarOrphan = await rolledBackFor("U0OMAR");
    plant(OMAR_ROLE, { "managed-by": "jitbot", "jit-request-id": omarOrphan });
    const { id } = await requestAndApprove(t, "eks-view", 3600);
    expect((await t.store.grants.get(id))?.status).toBe("active");
    await t.bot.scheduler.run("reap");
    expect(exists(OMAR_ROLE)).toBe(false);
    expect(aws.accessEntries.get(`${CLUSTER}|${ALICE_ROLE}`)?.tags["jit-request-id"]).toBe(id);
    await t.bot.engine.endEarly(id, "U0ALICE");
    expect(exists(ALICE_ROLE)).toBe(false);

    const again = await rolledBackFor("U0OMAR");
    plant(OMAR_ROLE, { "managed-by": "jitbot", "jit-request-id": again });
    crashNextGrant = true;
    const { id: inFlight, approval } = await fileRequest(t, "eks-view", 3600);
    await t.driver.click("U0LEAD", approval, "jit_approve");
    await waitFor(
      async () => (await t.store.grants.get(inFlight))?.status === "granting" && exists(ALICE_ROLE),
      "the grant in flight",
    );
    await t.bot.engine.idle();
    await t.bot.scheduler.run("reap");
    expect(exists(OMAR_ROLE)).toBe(false);
    expect(exists(ALICE_ROLE)).toBe(true);
    // Start-up reconcile of the next process would roll it back; do the same here to clean up.
    aws.accessEntries.delete(`${CLUSTER}|${ALICE_ROLE}`);
    await t.store.grants.fail({ requestId: inFlight, at: clock.now(), reason: "test clean-up" });
  });

  it("deletes nothing when the listing fails", async () => {
    const id = await rolledBack();
    plant(ALICE_ROLE, { "managed-by": "jitbot", "jit-request-id": id });
    const audits = (await auditOf(t, "orphan.removed")).length;
    const before = channelCount(t);
    aws.failNext(503, "ServiceUnavailableException", "Service unavailable");
    await t.bot.scheduler.run("reap");
    expect(exists(ALICE_ROLE)).toBe(true);
    expect(await auditOf(t, "orphan.removed")).toHaveLength(audits);
    expect(channelPosts(t, before)).toHaveLength(0);
    expect(t.logs.join("\n")).toContain("listing what jitbot created failed");
    // The next pass, with AWS back, removes it.
    await t.bot.scheduler.run("reap");
    expect(exists(ALICE_ROLE)).toBe(false);
  });

  it("never deletes an entry naming a request this database does not know; drift reports it once until it changes", async () => {
    const foreign = "arn:aws:iam::123456789012:role/people/bob";
    plant(foreign, { "managed-by": "jitbot", "jit-request-id": "JR-OTHER1" });
    const before = channelCount(t);
    await t.bot.scheduler.run("reap");
    expect(exists(foreign)).toBe(true);
    await t.bot.scheduler.run("drift");
    const first = channelPosts(t, before);
    expect(first).toHaveLength(1);
    expect(first[0]?.text).toContain("Drift");
    expect(JSON.stringify(first[0]?.blocks)).toContain("JR-OTHER1");
    await t.bot.scheduler.run("drift");
    expect(channelPosts(t, before)).toHaveLength(1);
    // Its tags change: reported again, once.
    plant(foreign, { "managed-by": "jitbot", "jit-request-id": "JR-OTHER2" });
    await t.bot.scheduler.run("drift");
    await t.bot.scheduler.run("drift");
    const all = channelPosts(t, before);
    expect(all).toHaveLength(2);
    expect(JSON.stringify(all[1]?.blocks)).toContain("JR-OTHER2");
    aws.accessEntries.delete(`${CLUSTER}|${foreign}`);
  });
});
