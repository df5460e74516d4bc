/**
 * Each provider's read-back against the strict fakes, including the two ways a cloud can disagree
 * with a successful delete: replication lag (the object still shows for a while) and a delete that
 * answered success but did not take.
 */
import { afterEach, describe, expect, it } from "vitest";
import { ManualClock } from "../../src/domain/clock.js";
import { REVOKE_POLICY_NAME } from "../../src/grants/aws/revoke-policy.js";
import { canReadBack, type GrantProvider, type RevokeReader } from "../../src/grants/provider.js";
import { readBackUntil } from "../../src/grants/read-back.js";
import { type AwsWorld, alice, profileOf, requestFor, startWorld } from "../aws/helpers.js";
import { activeGrantOf } from "../contract/provider-contract.js";
import { type EntraFixture, startEntraFixture } from "../entra/harness.js";
import { driveClock } from "./support.js";

let entra: EntraFixture | undefined;
let world: AwsWorld | undefined;
afterEach(async () => {
  await entra?.close();
  await world?.fake.close();
  entra = undefined;
  world = undefined;
});

function reader(provider: GrantProvider): GrantProvider & RevokeReader {
  if (!canReadBack(provider)) throw new Error(`${provider.type} cannot read back`);
  return provider;
}

const ENTRA_CASES = [
  { type: "entra-group", profile: "aks-group", shows: /is a direct member of group/ },
  { type: "entra-pim-group", profile: "aks-pim", shows: /PIM shows an active member assignment/ },
  { type: "entra-service-principal", profile: "aks-sp", shows: /temporary application .* exists/ },
] as const;

describe("Entra read-back", () => {
  for (const c of ENTRA_CASES) {
    it(`${c.type}: a delete Graph acknowledged (204) but did not apply reads back as present`, async () => {
      entra = await startEntraFixture({ replicationDelayMs: 0 });
      entra.graph.directory.removalLag = "never";
      const provider = reader(entra.provider(c.type));
      const request = entra.newRequest(c.profile);
      const grant = activeGrantOf(request, await provider.grant(request));
      // PIM refuses to remove an assignment in its first five minutes (groups-assign-member-owner.md).
      entra.clock.advance(5 * 60_000);
      await provider.revoke(grant);
      expect(await provider.readBack(grant)).toMatchObject({
        status: "present",
        detail: expect.stringMatching(c.shows),
      });
    });

    it(`${c.type}: replication lag is waited out through the clock, and the wait is measured`, async () => {
      entra = await startEntraFixture({ replicationDelayMs: 0 });
      const clock = new ManualClock();
      entra.graph.directory.now = () => clock.now().getTime();
      entra.graph.directory.removalLag = 2_000;
      const provider = reader(entra.provider(c.type));
      const request = entra.newRequest(c.profile);
      const grant = activeGrantOf(request, await provider.grant(request));
      await clock.advance(5 * 60_000);
      await provider.revoke(grant);
      const settled = await driveClock(clock, readBackUntil(provider, grant, "gone", clock));
      // Reads at 0 s and 1 s still see it; the one at 3 s (after 1 s + 2 s of backoff) does not.
      expect(settled).toMatchObject({ status: "gone", agreed: true, reads: 3, elapsedMs: 3_000 });
    });
  }

  it("entra-service-principal: a service principal left behind by a deleted application still counts", async () => {
    entra = await startEntraFixture();
    const provider = reader(entra.provider("entra-service-principal"));
    const request = entra.newRequest("aks-sp");
    const grant = activeGrantOf(request, await provider.grant(request));
    const sp = entra.graph.directory.servicePrincipals.get(String(grant.state.servicePrincipalId));
    await provider.revoke(grant);
    if (sp) entra.graph.directory.servicePrincipals.set(sp.id, sp);
    expect((await provider.readBack(grant)).detail).toMatch(/service principal .* still exists/);
  });

  it("entra-group: a grant interrupted before its state was stored is read back by looking the person up", async () => {
    entra = await startEntraFixture({ replicationDelayMs: 0 });
    const provider = reader(entra.provider("entra-group"));
    const request = entra.newRequest("aks-group");
    await provider.grant(request);
    const rollback = {
      ...activeGrantOf(request, { state: { rollback: true }, instructions: { summary: "", sections: [], notes: [] } }),
    };
    expect((await provider.readBack(rollback)).status).toBe("present");
    await provider.revoke(rollback);
    expect((await provider.readBack(rollback)).status).toBe("gone");
  });
});

describe("AWS read-back", () => {
  it("eks-access-entry: a delete EKS acknowledged but did not apply reads back as present", async () => {
    world = await startWorld();
    world.fake.entryRemovalLag = "never";
    const profile = profileOf(world.policy, "eks-view");
    const request = requestFor(profile, world.clock);
    const grant = activeGrantOf(request, await world.accessEntry.grant(request));
    await world.accessEntry.revoke(grant);
    expect(await world.accessEntry.readBack(grant)).toMatchObject({
      status: "present",
      detail: expect.stringContaining(
        "access entry of arn:aws:iam::123456789012:role/people/alice on britive-test exists",
      ),
    });
    world.fake.entryRemovalLag = 0;
    await world.accessEntry.revoke(grant);
    expect((await world.accessEntry.readBack(grant)).status).toBe("gone");
  });

  it("eks-access-entry: a standing entry reads back by its policy associations (ListAssociatedAccessPolicies)", async () => {
    world = await startWorld();
    const profile = profileOf(world.policy, "eks-view");
    const principalArn = "arn:aws:iam::123456789012:role/people/alice";
    world.fake.accessEntries.set(`britive-test|${principalArn}`, {
      clusterName: "britive-test",
      principalArn,
      tags: {},
      policies: new Map(),
    });
    const request = requestFor(profile, world.clock);
    const outcome = await world.accessEntry.grant(request);
    expect(outcome.state.createdEntry).toBe(false);
    const grant = activeGrantOf(request, outcome);
    expect((await world.accessEntry.readBack(grant)).status).toBe("present");
    await world.accessEntry.revoke(grant);
    expect(await world.accessEntry.readBack(grant)).toMatchObject({
      status: "gone",
      detail: expect.stringContaining("standing access entry"),
    });
    expect(world.fake.accessEntries.has(`britive-test|${principalArn}`)).toBe(true);
  });

  it("aws-role with revokeSessions: a role-policy write IAM acknowledged but did not keep reads back as present", async () => {
    world = await startWorld(", revokeSessions: true");
    const profile = profileOf(world.policy, "eks-pod-manager");
    const request = requestFor(profile, world.clock, 2 * 3600);
    const grant = activeGrantOf(request, await world.awsRole.grant(request));
    await world.clock.advance(600_000);
    world.fake.dropRolePolicyWrites = true;
    await world.awsRole.revoke(grant);
    expect(await world.awsRole.readBack(grant)).toMatchObject({
      status: "present",
      detail: expect.stringContaining(`no ${REVOKE_POLICY_NAME} policy`),
    });
    world.fake.dropRolePolicyWrites = false;
    await world.awsRole.revoke(grant);
    expect(await world.awsRole.readBack(grant)).toMatchObject({
      status: "gone",
      detail: expect.stringContaining("denies the session of alice@example.com"),
    });
  });

  it("aws-role: a deny whose cut-off is older than the session does not cover it", async () => {
    world = await startWorld(", revokeSessions: true");
    const profile = profileOf(world.policy, "eks-pod-manager");
    const first = requestFor(profile, world.clock, 2 * 3600);
    const firstGrant = activeGrantOf(first, await world.awsRole.grant(first));
    await world.clock.advance(60_000);
    await world.awsRole.revoke(firstGrant);
    await world.clock.advance(60_000);
    // A new session for Alice, issued after the deny's cut-off, with the revoke's write dropped.
    const second = requestFor(profile, world.clock, 2 * 3600, alice);
    const secondGrant = activeGrantOf(second, await world.awsRole.grant(second));
    world.fake.dropRolePolicyWrites = true;
    await world.awsRole.revoke(secondGrant);
    expect(await world.awsRole.readBack(secondGrant)).toMatchObject({
      status: "present",
      detail: expect.stringContaining("no statement"),
    });
    expect(world.fake.isSessionUsable(String(secondGrant.state.accessKeyId))).toBe(true);
  });

  it("aws-role without revokeSessions: a live session is unrecallable; once it ended, it is gone", async () => {
    world = await startWorld();
    const profile = profileOf(world.policy, "eks-pod-manager");
    const request = requestFor(profile, world.clock, 3600);
    const grant = activeGrantOf(request, await world.awsRole.grant(request));
    await world.clock.advance(600_000);
    await world.awsRole.revoke(grant);
    expect(await world.awsRole.readBack(grant)).toMatchObject({
      status: "unrecallable",
      detail: expect.stringContaining("grant.revokeSessions is off"),
    });
    await world.clock.advance(3_000_000);
    expect((await world.awsRole.readBack(grant)).status).toBe("gone");
  });
});
