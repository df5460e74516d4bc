import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Profile } from "../../src/config/schema.js";
import { bundleProfile } from "../../src/domain/bundle.js";
import { compositeProvider, PartialRevokeError } from "../../src/grants/composite.js";
import { isProviderError } from "../../src/grants/errors.js";
import {
  type ActiveGrant,
  canExtend,
  canReadBack,
  type GrantProvider,
  type GrantRequest,
  ROLLBACK_STATE,
} from "../../src/grants/provider.js";
import { type AwsWorld, profileOf, startWorld } from "../aws/helpers.js";
import { activeGrantOf, providerContract } from "../contract/provider-contract.js";
import { type EntraFixture, startEntraFixture, userIdOf } from "../entra/harness.js";

/**
 * The composite with real parts: the Entra group provider against the fake Graph (HTTPS) and the
 * EKS access-entry provider against the fake AWS, as a bundle of an AKS and an EKS profile.
 */
interface World {
  entra: EntraFixture;
  aws: AwsWorld;
  bundle: Profile;
  provider: GrantProvider;
  request(): GrantRequest;
  isMember(request: GrantRequest): boolean;
  hasEntry(request: GrantRequest): boolean;
  close(): Promise<void>;
}

async function startComposite(): Promise<World> {
  const entra = await startEntraFixture({ replicationDelayMs: 0 });
  const aws = await startWorld();
  const aks = entra.policy.profiles.find((p) => p.id === "aks-group") as Profile;
  const eks = profileOf(aws.policy, "eks-view");
  const bundle = bundleProfile({ id: "incident", title: "Incident", profiles: ["aks-group", "eks-view"] }, [aks, eks]);
  if (bundle.grant.type !== "composite") throw new Error("a bundle's grant is a composite");
  const registry = new Map<string, GrantProvider>([
    ["entra-group", entra.provider("entra-group")],
    ["eks-access-entry", aws.accessEntry],
  ]);
  const provider = compositeProvider(bundle.grant, (type) => registry.get(type));
  let n = 0;
  return {
    entra,
    aws,
    bundle,
    provider,
    request() {
      const base = entra.newRequest("aks-group", undefined);
      n += 1;
      const email = `person${n}x${Date.now() % 100000}@example.com`;
      entra.graph.directory.addUser({ userPrincipalName: email, mail: email });
      return { ...base, profile: bundle, subject: { ...base.subject, email } };
    },
    isMember(request) {
      const id = userIdOf(entra, request.subject.email);
      return id !== undefined && entra.graph.directory.isMember(entra.groupId, id);
    },
    hasEntry(request) {
      const user = request.subject.email.split("@")[0];
      return aws.fake.accessEntries.has(`britive-test|arn:aws:iam::123456789012:role/people/${user}`);
    },
    close: async () => {
      await entra.close();
      await aws.fake.close();
    },
  };
}

providerContract("composite (entra-group + eks-access-entry)", async () => {
  const w = await startComposite();
  return {
    provider: w.provider,
    newRequest: () => w.request(),
    isGranted: async (request) => w.isMember(request) && w.hasEntry(request),
    throttleNext: (times) => w.entra.graph.throttleNext(times),
    forbidNext: () => w.entra.graph.forbidNext(),
    close: () => w.close(),
  };
});

describe("composite: all or nothing over real providers", () => {
  let w: World;
  beforeAll(async () => {
    w = await startComposite();
  });
  afterAll(async () => {
    await w.close();
  });

  it("rolls back the Entra membership when the EKS part fails, and says which part failed and why", async () => {
    const request = w.request();
    // The EKS part's first call (CreateAccessEntry) is refused as IAM/EKS refuse it.
    w.aws.fake.forbidNext();
    const error = await w.provider.grant(request).catch((e: unknown) => e);
    expect(isProviderError(error)).toBe(true);
    const message = isProviderError(error) ? error.userMessage : "";
    expect(message).toContain("Granting part 2 of 2, eks-view (eks-access-entry) failed:");
    expect(message).toContain("What was already granted (aks-group (entra-group)) was rolled back.");
    expect(isProviderError(error) && error.code).toBe("FORBIDDEN");
    expect(w.isMember(request)).toBe(false);
    expect(w.hasEntry(request)).toBe(false);
  });

  it("keeps each part's state apart in one flat record of scalars, with no secret", async () => {
    const request = w.request();
    const outcome = await w.provider.grant(request);
    expect(outcome.state.parts).toBe(2);
    expect(outcome.state["p0:type"]).toBe("entra-group");
    expect(outcome.state["p1:type"]).toBe("eks-access-entry");
    expect(outcome.state["p1.principalArn"]).toMatch(/role\/people\/person/);
    for (const value of Object.values(outcome.state)) expect(["string", "number", "boolean"]).toContain(typeof value);
    await w.provider.revoke(activeGrantOf(request, outcome));
  });

  it("one DM for both: a section per part saying which part ends where, then its own steps", async () => {
    const request = w.request();
    const outcome = await w.provider.grant(request);
    const headings = outcome.instructions.sections.map((s) => s.heading);
    expect(headings[0]).toBe("Part 1 of 2: aks-group (entra-group)");
    expect(headings).toContain("Part 2 of 2: eks-view (eks-access-entry)");
    expect(outcome.instructions.sections[0]?.text).toContain("Ends: jitbot removes it at");
    expect(headings.some((h) => h.startsWith("aks-group (entra-group) · "))).toBe(true);
    expect(headings.some((h) => h.startsWith("eks-view (eks-access-entry) · "))).toBe(true);
    await w.provider.revoke(activeGrantOf(request, outcome));
  });

  it("a revoke that fails for one part removes the other, remembers it, and the retry does not redo it", async () => {
    const request = w.request();
    const outcome = await w.provider.grant(request);
    const grant: ActiveGrant = activeGrantOf(request, outcome);
    // The EKS part's revoke meets an outage (the fake answers 503 as the EKS API would).
    w.aws.fake.failNext(503, "ServiceUnavailableException", "Service unavailable");
    const error = await w.provider.revoke(grant).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(PartialRevokeError);
    const state = error instanceof PartialRevokeError ? error.state : {};
    expect(state["p0:revoked"]).toBe(true);
    expect(isProviderError(error) && error.userMessage).toContain("Revoking eks-view (eks-access-entry) failed:");
    expect(w.isMember(request)).toBe(false);
    expect(w.hasEntry(request)).toBe(true);
    const graphWrites = w.entra.graph.writes().length;
    const retry = await w.provider.revoke({ ...grant, state });
    expect(w.entra.graph.writes().length).toBe(graphWrites);
    expect(retry.detail).toContain("aks-group (entra-group): removed by an earlier attempt");
    expect(w.hasEntry(request)).toBe(false);
  });

  it("a part marked revoked that a read-back still shows is revoked again", async () => {
    const request = w.request();
    const outcome = await w.provider.grant(request);
    const state = { ...outcome.state, "p0:revoked": true };
    await w.provider.revoke({ ...activeGrantOf(request, outcome), state });
    expect(w.isMember(request)).toBe(false);
  });

  it("rolls every part back from the roll-back state of an interrupted grant", async () => {
    const request = w.request();
    await w.provider.grant(request);
    await w.provider.revoke({ ...activeGrantOf(request, await w.provider.grant(request)), state: ROLLBACK_STATE });
    expect(w.isMember(request)).toBe(false);
    expect(w.hasEntry(request)).toBe(false);
  });

  it("reads back gone only when every part is gone", async () => {
    if (!canReadBack(w.provider)) throw new Error("both parts read back, so the composite does");
    const request = w.request();
    const outcome = await w.provider.grant(request);
    const grant = activeGrantOf(request, outcome);
    expect((await w.provider.readBack(grant)).status).toBe("present");
    // Only the Entra part removed: still present.
    await w.entra
      .provider("entra-group")
      .revoke({ ...grant, profile: w.bundle.bundle?.profiles[0] as Profile, state: {} });
    const half = await w.provider.readBack(grant);
    expect(half.status).toBe("present");
    expect(half.detail).toContain("aks-group (entra-group):");
    await w.provider.revoke(grant);
    expect((await w.provider.readBack(grant)).status).toBe("gone");
  });

  it("extends only when every part can", () => {
    expect(canExtend(w.provider)).toBe(true);
    if (w.bundle.grant.type !== "composite") throw new Error("composite");
    const withoutExtend = compositeProvider(w.bundle.grant, (type) =>
      type === "entra-group"
        ? w.entra.provider("entra-group")
        : {
            type: "eks-access-entry",
            grant: w.aws.accessEntry.grant.bind(w.aws.accessEntry),
            revoke: w.aws.accessEntry.revoke.bind(w.aws.accessEntry),
          },
    );
    expect(canExtend(withoutExtend)).toBe(false);
    expect(canReadBack(withoutExtend)).toBe(false);
  });
});

describe("a part that fails unexpectedly", () => {
  it("tells the person which part, and keeps what it threw for the operator's log", async () => {
    const { ProviderCalls } = await import("../../src/grants/provider-calls.js");
    const { ManualClock } = await import("../../src/domain/clock.js");
    const w = await startComposite();
    try {
      if (w.bundle.grant.type !== "composite") throw new Error("composite");
      const broken: GrantProvider = {
        type: "eks-access-entry",
        grant: () => Promise.reject(new TypeError("cannot read properties of undefined (reading 'arn')")),
        revoke: () => Promise.resolve({ detail: "nothing" }),
      };
      const provider = compositeProvider(w.bundle.grant, (type) =>
        type === "entra-group" ? w.entra.provider("entra-group") : broken,
      );
      const request = w.request();
      const error = await provider.grant(request).catch((e: unknown) => e);
      expect(isProviderError(error) && error.userMessage).toContain(
        "Granting part 2 of 2, eks-view (eks-access-entry) failed: it failed unexpectedly inside jitbot",
      );
      expect(w.isMember(request)).toBe(false);
      const logged: object[] = [];
      const logger = { info() {}, warn: (obj: object) => logged.push(obj), error() {}, debug() {} };
      new ProviderCalls(new ManualClock(new Date()), logger, undefined).explain(error, {
        requestId: "r",
        verb: "grant",
      });
      expect(JSON.stringify(logged)).toContain("cannot read properties of undefined");
    } finally {
      await w.close();
    }
  });
});
