import type { GrantType, Policy } from "../config/schema.js";
import type { Clock } from "../domain/clock.js";
import type { KeyedLock } from "./concurrency.js";
import { DryRunProvider } from "./dry-run/provider.js";
import type { GrantProvider } from "./provider.js";

export type ProviderRegistry = ReadonlyMap<GrantType, GrantProvider>;

export interface ProviderDeps {
  env: NodeJS.ProcessEnv;
  policy: Policy;
  clock: Clock;
  logger?: { warn(obj: object, msg?: string): void };
  /**
   * Serialises a read-modify-write of one cloud object (an IAM role's policy). From the store, so
   * it holds across replicas; without it, within this process only.
   */
  lock?: KeyedLock;
}

const ALL_TYPES: GrantType[] = [
  "kubernetes-rolebinding",
  "entra-group",
  "entra-pim-group",
  "entra-service-principal",
  "aws-role",
  "eks-access-entry",
];

export function dryRunProviders(): Map<GrantType, GrantProvider> {
  return new Map(ALL_TYPES.map((type) => [type, new DryRunProvider(type)]));
}

/** Real providers for the grant types the policy uses; dry-run ones when the policy says so. */
export async function createProviders(deps: ProviderDeps): Promise<Map<GrantType, GrantProvider>> {
  if (deps.policy.dryRun) return dryRunProviders();
  const used = new Set(deps.policy.profiles.map((p) => p.grant.type));
  const providers = new Map<GrantType, GrantProvider>();
  if ([...used].some((t) => t.startsWith("entra"))) {
    const { createEntraProviders } = await import("./entra/index.js");
    for (const provider of createEntraProviders(deps)) providers.set(provider.type, provider);
  }
  if (used.has("aws-role") || used.has("eks-access-entry")) {
    const { createAwsProviders } = await import("./aws/index.js");
    for (const provider of createAwsProviders(deps)) providers.set(provider.type, provider);
  }
  if (used.has("kubernetes-rolebinding")) {
    const { createKubernetesProvider } = await import("./kubernetes/index.js");
    providers.set("kubernetes-rolebinding", createKubernetesProvider(deps));
  }
  return providers;
}
