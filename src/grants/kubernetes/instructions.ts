import type { Profile } from "../../config/schema.js";
import type { ConnectInstructions } from "../provider.js";
import type { KubernetesRoleBindingOptions, ReviewAttributes } from "./options.js";

export interface BindingContext {
  profile: Profile;
  grant: KubernetesRoleBindingOptions;
  user: string;
  review: ReviewAttributes;
}

/**
 * How to reach the cluster as yourself. The binding is the authorisation; authentication stays with
 * the person's own identity (Entra through kubelogin on AKS, their IAM principal on EKS), so there
 * is no secret in this DM.
 */
export function bindingInstructions(context: BindingContext): ConnectInstructions {
  const { profile, grant, user, review } = context;
  const cluster = profile.cluster;
  const scope = grant.namespace ? `in namespace ${grant.namespace}` : "cluster-wide";
  const namespaceFlag = grant.namespace ? ` --namespace ${grant.namespace}` : "";
  const resource = review.group ? `${review.resource}.${review.group}` : review.resource;
  const connect =
    cluster.kind === "aks"
      ? `az login\naz aks get-credentials --resource-group ${cluster.resourceGroup} --name ${cluster.name}\nkubelogin convert-kubeconfig -l azurecli`
      : `aws eks update-kubeconfig --name ${cluster.name} --region ${cluster.region}`;
  const signIn =
    cluster.kind === "aks"
      ? "Sign in with your own Entra account; the cluster knows you as"
      : "Use your own AWS credentials (the IAM principal the cluster's access entry maps); the cluster knows you as";
  return {
    summary: `${grant.roleRef.kind} ${grant.roleRef.name} ${scope} on ${cluster.name}, bound to you as ${user}.`,
    sections: [
      { heading: "Connect", text: `${signIn} ${user}.`, code: connect },
      { heading: "Check what you may do", code: `kubectl auth can-i ${review.verb} ${resource}${namespaceFlag}` },
    ],
    notes: [
      "The cluster checks this binding on every request: when jitbot deletes it at the end, your next kubectl call is refused, whatever tokens you still hold.",
    ],
    endEnforcedBy: "the cluster",
  };
}
