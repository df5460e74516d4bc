import { DefaultAzureCredential, type TokenCredential } from "@azure/identity";
import { ApiException, AuthorizationV1Api } from "@kubernetes/client-node";
import type { Policy, Profile } from "../config/schema.js";
import { systemClock } from "../domain/clock.js";
import { kubeConfigFor, tokenSourceFor } from "../grants/kubernetes/cluster.js";
import type { KubeCluster } from "../grants/kubernetes/options.js";
import {
  type BindingProfile,
  describeMissing,
  type Need,
  needsFor,
  type ResourceRule,
  ruleAllows,
} from "./kubernetes-rbac.js";
import { type CheckRow, failed, ok } from "./report.js";

const CHECK = "cluster RBAC";

type BoundProfile = Profile & { grant: { type: "kubernetes-rolebinding" } & BindingProfile };

export function isBindingProfile(profile: Profile): profile is BoundProfile {
  return profile.grant.type === "kubernetes-rolebinding";
}

/** How the doctor asks a cluster about jitbot's own rights: the two self reviews. */
export interface SelfReviews {
  /** The rules the cluster says jitbot has in a namespace (cluster-wide ones included). */
  rules(namespace: string): Promise<{ rules: ResourceRule[]; incomplete: boolean }>;
  /** One definite answer for one permission. */
  allowed(need: Need): Promise<boolean>;
}

export interface KubeDoctorDeps {
  azureCredential?: () => TokenCredential;
  /** Tests: the reviews of a cluster without the network. */
  reviewsFor?: (cluster: KubeCluster, profile: Profile) => SelfReviews;
}

/**
 * Per cluster that kubernetes-rolebinding profiles use: can jitbot's own identity do there what
 * granting, revoking, proving and reaping need? Read-only: only self reviews are created, which
 * store nothing.
 */
export async function kubernetesChecks(
  env: NodeJS.ProcessEnv,
  policy: Policy,
  deps: KubeDoctorDeps = {},
): Promise<CheckRow[]> {
  const byCluster = new Map<string, BoundProfile[]>();
  for (const profile of policy.profiles.filter(isBindingProfile)) {
    byCluster.set(profile.cluster.name, [...(byCluster.get(profile.cluster.name) ?? []), profile]);
  }
  const rows: CheckRow[] = [];
  for (const [name, profiles] of byCluster) {
    const cluster = policy.clusters.find((c) => c.name === name);
    const first = profiles[0];
    if (!cluster || !first) continue; // the policy check refuses this at load
    const reviews =
      deps.reviewsFor?.(cluster, first) ??
      clusterReviews(cluster, first, env, deps.azureCredential ?? (() => new DefaultAzureCredential()));
    rows.push(await clusterRow(cluster, first, profiles, reviews));
  }
  return rows;
}

async function clusterRow(
  cluster: KubeCluster,
  profile: Profile,
  profiles: BoundProfile[],
  reviews: SelfReviews,
): Promise<CheckRow> {
  const target = `${cluster.name} (${cluster.server})`;
  const needs = needsFor(profiles.map((p) => p.grant));
  let missing: Need[];
  try {
    missing = await missingOf(needs, reviews);
  } catch (error) {
    return unreachable(target, profile, error);
  }
  if (missing.length === 0) {
    const roles = new Set(profiles.map((p) => `${p.grant.roleRef.kind}/${p.grant.roleRef.name}`)).size;
    return ok(
      CHECK,
      target,
      `jitbot may create, read, list and delete bindings, review access, and bind ${roles} role(s)`,
    );
  }
  return failed(
    CHECK,
    target,
    `jitbot's identity ${describeMissing(missing)}`,
    `add these to the RBAC bound to jitbot's identity on ${cluster.name} (${exampleOf(profile)}; docs/deploy.md, 4c)`,
  );
}

/**
 * Namespaced permissions come from one SelfSubjectRulesReview per namespace. Where the review is
 * incomplete ("most commonly encountered when an authorizer, such as an external authorizer, doesn't
 * support rules evaluation": AKS with Azure RBAC, EKS access policies) or refused, each permission
 * it does not show is asked with a SelfSubjectAccessReview. Cluster-scoped permissions always are:
 * a rules review lists a namespace's RoleBindings too, which grant nothing cluster-wide.
 */
export async function missingOf(needs: readonly Need[], reviews: SelfReviews): Promise<Need[]> {
  const missing = new Set<Need>();
  const byNamespace = new Map<string, Need[]>();
  for (const need of needs) {
    if (need.namespace !== undefined)
      byNamespace.set(need.namespace, [...(byNamespace.get(need.namespace) ?? []), need]);
  }
  for (const [namespace, inNamespace] of byNamespace) {
    const listed = await rulesOrNothing(reviews, namespace);
    for (const need of inNamespace) {
      if (listed.rules.some((rule) => ruleAllows(rule, need))) continue;
      if (listed.incomplete && (await reviews.allowed(need))) continue;
      missing.add(need);
    }
  }
  for (const need of needs) if (need.namespace === undefined && !(await reviews.allowed(need))) missing.add(need);
  // In the order the needs were listed, so the sentence reads the same on every run.
  return needs.filter((need) => missing.has(need));
}

/** A refused rules review (system:basic-user unbound) is as good as an incomplete one. */
async function rulesOrNothing(reviews: SelfReviews, namespace: string) {
  try {
    return await reviews.rules(namespace);
  } catch (error) {
    if (error instanceof ApiException && error.code === 403) return { rules: [], incomplete: true };
    throw error;
  }
}

function clusterReviews(
  cluster: KubeCluster,
  profile: Profile,
  env: NodeJS.ProcessEnv,
  azureCredential: () => TokenCredential,
): SelfReviews {
  const token = tokenSourceFor(profile.cluster, { env, clock: systemClock, azureCredential });
  const api = kubeConfigFor(cluster, token).makeApiClient(AuthorizationV1Api);
  return {
    async rules(namespace) {
      const review = await api.createSelfSubjectRulesReview({ body: { spec: { namespace } } });
      return {
        rules: review.status?.resourceRules ?? [],
        incomplete: review.status?.incomplete ?? true,
      };
    },
    async allowed(need) {
      const review = await api.createSelfSubjectAccessReview({
        body: { spec: { resourceAttributes: { ...need } } },
      });
      return review.status?.allowed === true;
    },
  };
}

function unreachable(target: string, profile: Profile, error: unknown): CheckRow {
  if (error instanceof ApiException && error.code === 401) {
    return failed(
      CHECK,
      target,
      "the API server refused jitbot's token (401 Unauthorized)",
      profile.cluster.kind === "aks"
        ? "check jitbot's Azure identity (workload identity) and that the cluster uses Entra integration"
        : "give jitbot's IAM role an access entry on the cluster (aws eks create-access-entry; docs/deploy.md, 4c)",
    );
  }
  const reason = error instanceof ApiException ? `HTTP ${error.code}` : firstLine(error);
  return failed(
    CHECK,
    target,
    `could not ask the API server: ${reason}`,
    "check clusters[].server and caData, and egress to the API server",
  );
}

function exampleOf(profile: Profile): string {
  return `manifests/examples/${profile.cluster.kind}/jitbot-cluster-access.yaml`;
}

function firstLine(error: unknown): string {
  return (error instanceof Error ? error.message : String(error)).split("\n")[0]?.slice(0, 200) ?? "";
}
