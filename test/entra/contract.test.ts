import { type ContractHarness, providerContract } from "../contract/provider-contract.js";
import { startEntraFixture, userIdOf } from "./harness.js";

/** Every Entra provider keeps the shared contract against the fake Graph. */
async function harnessFor(
  type: "entra-group" | "entra-pim-group" | "entra-service-principal",
  profileId: string,
): Promise<ContractHarness> {
  const f = await startEntraFixture();
  const directory = f.graph.directory;
  const provider = f.provider(type);
  return {
    // PIM refuses to remove an assignment in its first five minutes (groups-assign-member-owner.md);
    // the contract's revokes come later than that in life, so time moves on before each.
    provider:
      type === "entra-pim-group"
        ? {
            type: provider.type,
            grant: (request) => provider.grant(request),
            revoke: (grant) => {
              f.clock.advance(5 * 60_000);
              return provider.revoke(grant);
            },
          }
        : provider,
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
