import { type ActiveGrant, canReadBack } from "../../src/grants/provider.js";
import { type ContractHarness, providerContract } from "../contract/provider-contract.js";
import { REPLICATION_DELAY_MS, startEntraFixture, userIdOf } from "./harness.js";

/** Every Entra provider keeps the shared contract against the fake Graph. */
async function harnessFor(
  type: "entra-group" | "entra-pim-group" | "entra-service-principal",
  profileId: string,
): Promise<ContractHarness> {
  const f = await startEntraFixture();
  const directory = f.graph.directory;
  const provider = f.provider(type);
  // Time passes in life between a grant and its read-back (the advanced-query index lags new members
  // by the fixture's replication delay) and between a PIM grant and its revoke (PIM refuses to
  // remove an assignment in its first five minutes, groups-assign-member-owner.md).
  const inLife: typeof provider = Object.create(provider);
  if (canReadBack(provider)) {
    Object.assign(inLife, {
      readBack: (grant: ActiveGrant) => {
        f.clock.advance(REPLICATION_DELAY_MS);
        return provider.readBack(grant);
      },
    });
  }
  if (type === "entra-pim-group") {
    Object.assign(inLife, {
      revoke: (grant: ActiveGrant) => {
        f.clock.advance(5 * 60_000);
        return provider.revoke(grant);
      },
    });
  }
  return {
    provider: inLife,
    newRequest: () => f.newRequest(profileId),
    async isGranted(request) {
      if (type === "entra-service-principal") {
        const app = [...directory.applications.values()].find((a) => a.uniqueName.endsWith(request.requestId));
        const sp = app && [...directory.servicePrincipals.values()].find((s) => s.appId === app.appId);
        return sp !== undefined && directory.isMember(f.groupId, sp.id);
      }
      const userId = userIdOf(f, request.subject.email);
      return userId !== undefined && directory.isMember(f.groupId, userId);
    },
    throttleNext: (times) => f.graph.throttleNext(times, 1),
    forbidNext: () => f.graph.forbidNext(),
    close: () => f.close(),
  };
}

providerContract("entra-group", () => harnessFor("entra-group", "aks-group"));
providerContract("entra-pim-group", () => harnessFor("entra-pim-group", "aks-pim"));
providerContract("entra-service-principal", () => harnessFor("entra-service-principal", "aks-sp"));
