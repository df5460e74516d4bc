/**
 * What the orphan reaper finds of kubernetes-rolebinding grants: the bindings jitbot labelled as its
 * own on a profile's cluster (`app.kubernetes.io/managed-by: jitbot`), each naming its request in
 * `jitbot/request-id`. The verdict (src/grants/orphan-verdict.ts) removes one only when that request
 * is known to this database and no live grant explains it; a binding without a readable request id
 * is only reported by the drift report.
 */
import type { V1ClusterRoleBinding, V1RoleBinding } from "@kubernetes/client-node";
import type { Profile } from "../../config/schema.js";
import type { OwnedObject } from "../orphans.js";
import { type BindingTarget, describeTarget, MANAGED_BY, REQUEST_ID_LABEL } from "./binding.js";

export const OWNED_SELECTOR = `${MANAGED_BY.key}=${MANAGED_BY.value}`;

/** The two calls the reaper needs of a cluster (ClusterApi). */
export interface OwnedBindings {
  /** Every binding matching the label selector, in one namespace or cluster-wide, all pages. */
  listBindings(namespace: string | undefined, labelSelector: string): Promise<(V1RoleBinding | V1ClusterRoleBinding)[]>;
  deleteBinding(target: BindingTarget): Promise<"deleted" | "absent">;
}

/**
 * A profile's bindings: its namespace's RoleBindings, or the ClusterRoleBindings. Two profiles on
 * one namespace list the same objects; the key (cluster, kind, namespace, name) makes them one.
 */
export async function listOwnedBindings(api: OwnedBindings, profile: Profile): Promise<OwnedObject[]> {
  if (profile.grant.type !== "kubernetes-rolebinding") return [];
  const namespace = profile.grant.namespace;
  const found = await api.listBindings(namespace, OWNED_SELECTOR);
  // The selector is the server's to apply; checked again so a server that ignored it costs nothing.
  return found
    .filter((binding) => binding.metadata?.labels?.[MANAGED_BY.key] === MANAGED_BY.value && binding.metadata?.name)
    .map((binding) => ownedObject(profile.cluster.name, binding, namespace));
}

function ownedObject(
  cluster: string,
  binding: V1RoleBinding | V1ClusterRoleBinding,
  namespace: string | undefined,
): OwnedObject {
  const target: BindingTarget = {
    kind: namespace === undefined ? "ClusterRoleBinding" : "RoleBinding",
    name: binding.metadata?.name ?? "",
    namespace,
  };
  const users = (binding.subjects ?? []).map((subject) => subject.name);
  const role = `${binding.roleRef.kind} ${binding.roleRef.name}`;
  const requestId = binding.metadata?.labels?.[REQUEST_ID_LABEL] || undefined;
  const ref = namespace === undefined ? target.name : `${namespace}/${target.name}`;
  return {
    key: `${cluster}/${target.kind}/${ref}`,
    ref,
    description: `${describeTarget(target)} on cluster ${cluster} (${users.join(", ") || "no subject"} → ${role})`,
    requestId,
    holders: users,
    fingerprint: `${binding.metadata?.uid ?? ""}|${role}|${users.join(",")}|${requestId ?? ""}`,
    removable: true,
  };
}

/** Deletes one binding listOwnedBindings found; undefined when it was already gone. */
export async function removeOwnedBinding(api: OwnedBindings, object: OwnedObject): Promise<string | undefined> {
  const slash = object.ref.indexOf("/");
  const target: BindingTarget =
    slash < 0
      ? { kind: "ClusterRoleBinding", name: object.ref, namespace: undefined }
      : { kind: "RoleBinding", name: object.ref.slice(slash + 1), namespace: object.ref.slice(0, slash) };
  return (await api.deleteBinding(target)) === "deleted" ? `deleted ${object.description}` : undefined;
}
