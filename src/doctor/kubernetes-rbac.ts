/**
 * What jitbot's own identity must be allowed on a cluster for its kubernetes-rolebinding profiles,
 * and whether the rules the cluster reports allow it. Pure: the doctor fetches, this decides.
 */

const RBAC_GROUP = "rbac.authorization.k8s.io";
const AUTHZ_GROUP = "authorization.k8s.io";
const BINDING_VERBS = ["create", "get", "list", "delete"] as const;

/** One permission, as a SelfSubjectAccessReview's resourceAttributes would ask it. */
export interface Need {
  verb: string;
  group: string;
  resource: string;
  /** Unset: any object of the resource (a rule limited by resourceNames does not do). */
  name?: string;
  /** Unset: cluster-wide (cluster-scoped resources, or any namespace). */
  namespace?: string;
}

/** What the doctor needs of a kubernetes-rolebinding profile. */
export interface BindingProfile {
  roleRef: { kind: "ClusterRole" | "Role"; name: string };
  namespace?: string;
}

/**
 * Grant and revoke create and delete the binding; `get` reads it back; `list` finds orphans; `bind`
 * on the referenced role is what lets jitbot create a binding to rights it does not hold itself
 * ("You can only create/update a role binding if you already have all the permissions contained in
 * the referenced role … or if you have been authorized to perform the bind verb on the referenced
 * role", kubernetes.io/docs/reference/access-authn-authz/rbac, "Restrictions on role binding creation
 * or update"); `get` on it lets jitbot read what the role allows; `create` on subjectaccessreviews is
 * the proof.
 */
export function needsFor(profiles: readonly BindingProfile[]): Need[] {
  const needs: Need[] = [{ verb: "create", group: AUTHZ_GROUP, resource: "subjectaccessreviews" }];
  for (const { roleRef, namespace } of profiles) {
    const bindings = namespace === undefined ? "clusterrolebindings" : "rolebindings";
    for (const verb of BINDING_VERBS) needs.push({ verb, group: RBAC_GROUP, resource: bindings, namespace });
    const roles = roleRef.kind === "Role" ? "roles" : "clusterroles";
    // `get` reads the role to choose what the proof asks, when the profile names no grant.review.
    for (const verb of ["get", "bind"])
      needs.push({ verb, group: RBAC_GROUP, resource: roles, name: roleRef.name, namespace });
  }
  const seen = new Set<string>();
  return needs.filter((need) => {
    const key = needKey(need);
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}

export const needKey = (n: Need) => `${n.verb} ${n.group}/${n.resource}/${n.name ?? ""} ${n.namespace ?? ""}`;

/** A rule as SelfSubjectRulesReview reports it (V1ResourceRule). */
export interface ResourceRule {
  verbs: string[];
  apiGroups?: string[];
  resources?: string[];
  resourceNames?: string[];
}

/**
 * Whether one rule allows a need, as the RBAC authorizer matches it (kubernetes
 * pkg/apis/rbac/v1/evaluation_helpers.go: VerbMatches, APIGroupMatches, ResourceMatches,
 * ResourceNameMatches): `*` matches every verb, group and resource; a rule with resourceNames
 * allows only requests naming one of them, never a request without a name (create, list).
 */
export function ruleAllows(rule: ResourceRule, need: Need): boolean {
  const has = (values: readonly string[] | undefined, value: string) =>
    (values ?? []).some((v) => v === "*" || v === value);
  if (!has(rule.verbs, need.verb) || !has(rule.apiGroups, need.group) || !has(rule.resources, need.resource)) {
    return false;
  }
  // "An empty set means that everything is allowed. "*" means all." (V1ResourceRule.resourceNames)
  const names = rule.resourceNames ?? [];
  if (names.length === 0 || names.includes("*")) return true;
  return need.name !== undefined && names.includes(need.name);
}

/** "may not create, delete rolebindings in namespace sre; bind clusterroles/pod-manager" */
export function describeMissing(missing: readonly Need[]): string {
  const groups = new Map<string, { verbs: string[]; what: string }>();
  for (const need of missing) {
    const object = need.name === undefined ? need.resource : `${need.resource}/${need.name}`;
    const where = need.namespace === undefined ? "" : ` in namespace ${need.namespace}`;
    const what = `${object}${where}`;
    const entry = groups.get(what) ?? { verbs: [], what };
    entry.verbs.push(need.verb);
    groups.set(what, entry);
  }
  return `may not ${[...groups.values()].map((g) => `${g.verbs.join(", ")} ${g.what}`).join("; ")}`;
}
