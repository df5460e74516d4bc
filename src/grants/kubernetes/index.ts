import { DefaultAzureCredential, type TokenCredential } from "@azure/identity";
import type { Client } from "@microsoft/microsoft-graph-client";
import type { AwsCredentialIdentityProvider } from "@smithy/types";
import type { Cluster, Policy } from "../../config/schema.js";
import type { Clock } from "../../domain/clock.js";
import { createGraphClient } from "../entra/graph.js";
import { ClusterApi } from "./api.js";
import { clusterEntryFor, kubeConfigFor, tokenSourceFor } from "./cluster.js";
import { KubernetesRoleBindingProvider } from "./provider.js";
import { aksUser, eksUser } from "./subject.js";

export { KubernetesRoleBindingProvider } from "./provider.js";

export interface KubernetesDeps {
  env: NodeJS.ProcessEnv;
  policy: Policy;
  clock: Clock;
  /** Tests and special set-ups may bring their own; production uses DefaultAzureCredential, as the Entra grants do. */
  azureCredential?: TokenCredential;
  awsCredentials?: AwsCredentialIdentityProvider;
  reviewDelaysMs?: readonly number[];
}

/**
 * The kubernetes-rolebinding provider. Nothing is created until a grant needs it: one API client
 * per cluster (from the policy's `clusters`), the Azure credential and the Graph client (AKS only,
 * to read the person's UPN).
 */
export function createKubernetesProvider(deps: KubernetesDeps): KubernetesRoleBindingProvider {
  let credential: TokenCredential | undefined;
  const azureCredential = () => {
    credential ??= deps.azureCredential ?? new DefaultAzureCredential();
    return credential;
  };
  let graph: Client | undefined;
  const apis = new Map<string, ClusterApi>();
  const apiFor = (cluster: Cluster): ClusterApi => {
    let api = apis.get(cluster.name);
    if (!api) {
      const entry = clusterEntryFor(deps.policy, cluster.name);
      const token = tokenSourceFor(cluster, {
        env: deps.env,
        clock: deps.clock,
        azureCredential,
        awsCredentials: deps.awsCredentials,
      });
      api = new ClusterApi(entry, kubeConfigFor(entry, token));
      apis.set(cluster.name, api);
    }
    return api;
  };
  return new KubernetesRoleBindingProvider({
    clock: deps.clock,
    apiFor,
    reviewDelaysMs: deps.reviewDelaysMs,
    userOf: async (subject, profile) => {
      if (profile.cluster.kind === "eks") {
        if (profile.grant.type !== "kubernetes-rolebinding" || !profile.grant.username) {
          throw new Error(`profile ${profile.id} has no grant.username for its EKS cluster`);
        }
        return eksUser(profile.grant.username, subject);
      }
      graph ??= createGraphClient({ env: deps.env, credential: azureCredential() });
      return aksUser(graph, subject, profile, deps.policy);
    },
  });
}
