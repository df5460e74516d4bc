/**
 * Two replicas revoking sessions of one role at once: each revoke reads the role's deny policy,
 * adds its statement and writes it back. Each replica is a separate copy of the provider modules
 * (as in two processes), with the store's lock from its own Store on one PostgreSQL schema.
 */
import { afterEach, describe, expect, it, vi } from "vitest";
import { ManualClock } from "../../src/domain/clock.js";
import type { KeyedLock } from "../../src/grants/concurrency.js";
import type { GrantProvider } from "../../src/grants/provider.js";
import { ExclusiveTimeout, Store as StoreClass } from "../../src/store/index.js";
import { activeGrantOf } from "../contract/provider-contract.js";
import { FakeAws } from "../fakes/aws-server.js";
import { freshSchemaUrl, testDatabaseUrl } from "../support/postgres.js";
import { awsPolicy, profileOf, requestFor } from "./helpers.js";

const cleanup: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const step of cleanup.splice(0).reverse()) await step();
});

/** The aws-role provider of a fresh copy of the provider modules, locking with `lock`. */
async function replicaProvider(fake: FakeAws, clock: ManualClock, lock: KeyedLock): Promise<GrantProvider> {
  vi.resetModules();
  const { createAwsProviders } = await import("../../src/grants/aws/index.js");
  const providers = createAwsProviders({ env: fake.env(), policy: awsPolicy(", revokeSessions: true"), clock, lock });
  const provider = providers.find((p) => p.type === "aws-role");
  if (!provider) throw new Error("no aws-role provider");
  return provider;
}

describe.runIf(testDatabaseUrl())("aws-role revokes of one role on two replicas", () => {
  it("lands every deny in the role's policy when two replicas revoke sessions of one role at once", async () => {
    const clock = new ManualClock("2026-01-05T09:00:00Z");
    const fake = new FakeAws(() => clock.now());
    await fake.start();
    cleanup.push(() => fake.close());
    const location = freshSchemaUrl();
    const stores = [await StoreClass.open(location), await StoreClass.open(location)];
    cleanup.push(async () => {
      for (const store of stores) await store.close();
    });
    const [storeA, storeB] = stores;
    if (!storeA || !storeB) throw new Error("two stores");
    const a = await replicaProvider(fake, clock, (key, work) => storeA.exclusive(key, work));
    const b = await replicaProvider(fake, clock, (key, work) => storeB.exclusive(key, work));
    const profile = profileOf(awsPolicy(", revokeSessions: true"), "eks-pod-manager");
    const people = Array.from({ length: 8 }, (_, i) => ({
      slackUserId: `U0P${i}`,
      email: `person.${i}@example.com`,
      name: `P${i}`,
    }));
    const sessions = [];
    for (const person of people) {
      const request = requestFor(profile, clock, 2 * 3600, person);
      const outcome = await a.grant(request);
      sessions.push({ grant: activeGrantOf(request, outcome), key: String(outcome.state.accessKeyId) });
    }
    await clock.advance(600_000);

    await Promise.all(sessions.map((session, i) => (i % 2 === 0 ? a : b).revoke(session.grant)));

    for (const session of sessions) expect(fake.isSessionUsable(session.key)).toBe(false);
  });
});

describe("aws-role revoke when the role's lock cannot be had", () => {
  it("fails with a retryable sentence naming the role, and writes nothing", async () => {
    const clock = new ManualClock("2026-01-05T09:00:00Z");
    const fake = new FakeAws(() => clock.now());
    await fake.start();
    cleanup.push(() => fake.close());
    const provider = await replicaProvider(fake, clock, async () => {
      throw new ExclusiveTimeout("aws-role-policy:arn:aws:iam::123456789012:role/EKS-Pod-Manager", 30_000);
    });
    const profile = profileOf(awsPolicy(", revokeSessions: true"), "eks-pod-manager");
    const request = requestFor(profile, clock, 2 * 3600);
    const outcome = await provider.grant(request);
    await clock.advance(600_000);
    const error = await provider.revoke(activeGrantOf(request, outcome)).catch((e: unknown) => e);
    // A copy of the modules has its own ProviderError class: compare by shape.
    expect(error).toMatchObject({
      name: "ProviderError",
      code: "UNAVAILABLE",
      retryable: true,
      userMessage:
        "Another revoke is still editing the jitbot-revoked-sessions policy of arn:aws:iam::123456789012:role/EKS-Pod-Manager; jitbot tries again.",
    });
    expect(fake.calls.filter((call) => call.action === "PutRolePolicy")).toEqual([]);
  });
});
