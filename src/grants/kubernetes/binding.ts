/**
 * The binding jitbot creates for a grant: named from the request id and the role, so grant, retry,
 * roll-back and revoke all find the same object without stored state; labelled so the orphan
 * reaper finds jitbot's bindings (`app.kubernetes.io/managed-by` is the recommended label,
 * kubernetes.io/docs/concepts/overview/working-with-objects/common-labels).
 */
import { createHash } from "node:crypto";
import type { V1ClusterRoleBinding, V1RoleBinding } from "@kubernetes/client-node";
import type { KubernetesRoleBindingOptions } from "./options.js";

export const RBAC_GROUP = "rbac.authorization.k8s.io";
export const MANAGED_BY = { key: "app.kubernetes.io/managed-by", value: "jitbot" } as const;
export const REQUEST_ID_LABEL = "jitbot/request-id";
/**
 * Annotations, not labels: a label value "must be 63 characters or less … begin and end with an
 * alphanumeric character" (labels.md), which an email or a timestamp with ":" is not.
 */
export const ENDS_AT_ANNOTATION = "jitbot/ends-at";
export const REQUESTER_ANNOTATION = "jitbot/requester";
export const PROFILE_ANNOTATION = "jitbot/profile";

export interface BindingTarget {
  kind: "RoleBinding" | "ClusterRoleBinding";
  name: string;
  namespace: string | undefined;
}

/**
 * `jitbot-jr-7k3q9m-<8 hex>`: lowercase, so it is also a DNS subdomain (stricter than the path
 * segment RBAC names need); the hash of the role keeps two bindings of one request (a grant list
 * binding two roles) apart.
 */
export function bindingTarget(requestId: string, grant: KubernetesRoleBindingOptions): BindingTarget {
  const role = createHash("sha256")
    .update(`${grant.roleRef.kind}/${grant.namespace ?? ""}/${grant.roleRef.name}`)
    .digest("hex")
    .slice(0, 8);
  const id = requestId.toLowerCase().replace(/[^a-z0-9-]/g, "-");
  return {
    kind: grant.namespace === undefined ? "ClusterRoleBinding" : "RoleBinding",
    name: `jitbot-${id}-${role}`,
    namespace: grant.namespace,
  };
}

/** A label value, or "" when the request id cannot be one (labels.md syntax). */
function labelValue(text: string): string {
  return /^([A-Za-z0-9]([-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?)$/.test(text) ? text : "";
}

export interface BindingInput {
  requestId: string;
  profileId: string;
  requester: string;
  user: string;
  expiresAt: Date;
  grant: KubernetesRoleBindingOptions;
}

export function bindingObject(input: BindingInput): V1RoleBinding & V1ClusterRoleBinding {
  const target = bindingTarget(input.requestId, input.grant);
  return {
    apiVersion: `${RBAC_GROUP}/v1`,
    kind: target.kind,
    metadata: {
      name: target.name,
      ...(target.namespace ? { namespace: target.namespace } : {}),
      labels: { [MANAGED_BY.key]: MANAGED_BY.value, [REQUEST_ID_LABEL]: labelValue(input.requestId) },
      annotations: {
        [ENDS_AT_ANNOTATION]: input.expiresAt.toISOString(),
        [REQUESTER_ANNOTATION]: input.requester,
        [PROFILE_ANNOTATION]: input.profileId,
      },
    },
    roleRef: { apiGroup: RBAC_GROUP, kind: input.grant.roleRef.kind, name: input.grant.roleRef.name },
    subjects: [{ kind: "User", apiGroup: RBAC_GROUP, name: input.user }],
  };
}

/**
 * A binding found under the name jitbot would use is jitbot's for this request when it carries the
 * label, the same role and the same user: then a 409 on create is an earlier attempt, not a clash.
 */
export function isOurBinding(
  found: V1RoleBinding | V1ClusterRoleBinding,
  requestId: string,
  grant: KubernetesRoleBindingOptions,
  user: string,
): boolean {
  const labels = found.metadata?.labels ?? {};
  return (
    labels[MANAGED_BY.key] === MANAGED_BY.value &&
    labels[REQUEST_ID_LABEL] === labelValue(requestId) &&
    found.roleRef.kind === grant.roleRef.kind &&
    found.roleRef.name === grant.roleRef.name &&
    (found.subjects ?? []).some((s) => s.kind === "User" && s.name === user)
  );
}

/** For messages: "RoleBinding jitbot-… in namespace payments" / "ClusterRoleBinding jitbot-…". */
export function describeTarget(target: BindingTarget): string {
  return target.namespace
    ? `${target.kind} ${target.name} in namespace ${target.namespace}`
    : `${target.kind} ${target.name}`;
}
