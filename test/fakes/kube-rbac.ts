/**
 * RBAC as the API server evaluates it, for the fake Kubernetes API server. Every rule cites
 * kubernetes.io/docs/reference/access-authn-authz/rbac ("rbac.md" below) or the authorizer it follows
 * (kubernetes/kubernetes plugin/pkg/auth/authorizer/rbac/rbac.go).
 */

export const RBAC_GROUP = "rbac.authorization.k8s.io";

export interface PolicyRule {
  verbs: string[];
  apiGroups?: string[];
  resources?: string[];
  resourceNames?: string[];
  nonResourceURLs?: string[];
}

export interface Subject {
  kind: string;
  name: string;
  apiGroup?: string;
  namespace?: string;
}

export interface Binding {
  metadata: {
    name: string;
    namespace?: string;
    labels?: Record<string, string>;
    annotations?: Record<string, string>;
    uid?: string;
    resourceVersion?: string;
    creationTimestamp?: string;
  };
  roleRef: { apiGroup: string; kind: string; name: string };
  subjects?: Subject[];
}

export interface UserInfo {
  name: string;
  groups: string[];
}

export interface Attributes {
  verb: string;
  group: string;
  resource: string;
  subresource?: string;
  name?: string;
  /** Unset or "": a cluster-scoped request (or all namespaces). */
  namespace?: string;
}

/** What the server holds that RBAC reads. */
export interface RbacState {
  roles: Map<string, PolicyRule[]>; // "<namespace>/<name>"
  clusterRoles: Map<string, PolicyRule[]>;
  roleBindings: Map<string, Binding>; // "<namespace>/<name>"
  clusterRoleBindings: Map<string, Binding>;
}

/**
 * "Rules are additive (there are no 'deny' rules)" (rbac.md, "Role and ClusterRole"). A `*` matches
 * all (rbac.md "Referring to resources": wildcards); a rule with resourceNames matches only those
 * names; subresources are named "resource/subresource" ("Referring to resources").
 */
export function ruleAllows(rule: PolicyRule, a: Attributes): boolean {
  const has = (list: string[] | undefined, value: string) => (list ?? []).some((v) => v === "*" || v === value);
  if (!has(rule.verbs, a.verb)) return false;
  if (!has(rule.apiGroups, a.group)) return false;
  const resource = a.subresource ? `${a.resource}/${a.subresource}` : a.resource;
  if (!has(rule.resources, resource)) return false;
  if (rule.resourceNames && rule.resourceNames.length > 0) {
    return a.name !== undefined && rule.resourceNames.includes(a.name);
  }
  return true;
}

/**
 * "A binding grants the permissions defined in a role to a user or set of users" by subject: a
 * User by name, a Group by group, a ServiceAccount as "system:serviceaccount:<ns>:<name>" (rbac.md
 * "Referring to subjects").
 */
export function subjectMatches(subject: Subject, user: UserInfo, bindingNamespace: string | undefined): boolean {
  switch (subject.kind) {
    case "User":
      return subject.name === user.name;
    case "Group":
      return user.groups.includes(subject.name);
    case "ServiceAccount":
      return user.name === `system:serviceaccount:${subject.namespace ?? bindingNamespace}:${subject.name}`;
    default:
      return false;
  }
}

function rulesOf(state: RbacState, roleRef: Binding["roleRef"], namespace: string | undefined): PolicyRule[] {
  // A binding to a role that does not exist grants nothing; it is not refused (rbac.md
  // "RoleBinding and ClusterRoleBinding" says nothing resolves roleRef at create; validation.go
  // only checks its fields).
  if (roleRef.kind === "ClusterRole") return state.clusterRoles.get(roleRef.name) ?? [];
  return state.roles.get(`${namespace}/${roleRef.name}`) ?? [];
}

export interface Decision {
  allowed: boolean;
  reason: string;
}

/**
 * ClusterRoleBindings apply everywhere; a RoleBinding "grants permissions within a specific
 * namespace", even when it refers to a ClusterRole (rbac.md "RoleBinding and ClusterRoleBinding").
 * The reason text follows the RBAC authorizer's ("RBAC: allowed by ClusterRoleBinding …").
 */
export function authorize(state: RbacState, user: UserInfo, a: Attributes): Decision {
  for (const binding of state.clusterRoleBindings.values()) {
    const subject = (binding.subjects ?? []).find((s) => subjectMatches(s, user, undefined));
    if (!subject) continue;
    if (rulesOf(state, binding.roleRef, undefined).some((rule) => ruleAllows(rule, a))) {
      return {
        allowed: true,
        reason: `RBAC: allowed by ClusterRoleBinding "${binding.metadata.name}" of ClusterRole "${binding.roleRef.name}" to ${subject.kind} "${subject.name}"`,
      };
    }
  }
  if (a.namespace) {
    for (const binding of state.roleBindings.values()) {
      if (binding.metadata.namespace !== a.namespace) continue;
      const subject = (binding.subjects ?? []).find((s) => subjectMatches(s, user, a.namespace));
      if (!subject) continue;
      if (rulesOf(state, binding.roleRef, a.namespace).some((rule) => ruleAllows(rule, a))) {
        return {
          allowed: true,
          reason: `RBAC: allowed by RoleBinding "${binding.metadata.name}/${a.namespace}" of ${binding.roleRef.kind} "${binding.roleRef.name}" to ${subject.kind} "${subject.name}"`,
        };
      }
    }
  }
  // RBAC never denies, it has no opinion: status.allowed false, no `denied` (SubjectAccessReviewStatus).
  return { allowed: false, reason: "" };
}

/** The resource rules that apply to `user` in `namespace` (SelfSubjectRulesReview's status). */
export function rulesFor(state: RbacState, user: UserInfo, namespace: string): PolicyRule[] {
  const rules: PolicyRule[] = [];
  for (const binding of state.clusterRoleBindings.values()) {
    if ((binding.subjects ?? []).some((s) => subjectMatches(s, user, undefined))) {
      rules.push(...rulesOf(state, binding.roleRef, undefined));
    }
  }
  for (const binding of state.roleBindings.values()) {
    if (binding.metadata.namespace !== namespace) continue;
    if ((binding.subjects ?? []).some((s) => subjectMatches(s, user, namespace))) {
      rules.push(...rulesOf(state, binding.roleRef, namespace));
    }
  }
  return rules;
}

/**
 * "You can only create/update a role binding if you already have all the permissions contained in
 * the referenced role (at the same scope as the role binding) or if you have been authorized to
 * perform the bind verb on the referenced role" (rbac.md "Restrictions on role binding creation or
 * update"). Returns the rules the caller lacks, empty when it may bind.
 */
export function escalationProblem(
  state: RbacState,
  caller: UserInfo,
  roleRef: Binding["roleRef"],
  namespace: string | undefined,
): PolicyRule[] {
  const resource = roleRef.kind === "ClusterRole" ? "clusterroles" : "roles";
  const bind = authorize(state, caller, {
    verb: "bind",
    group: "rbac.authorization.k8s.io",
    resource,
    name: roleRef.name,
    namespace,
  });
  if (bind.allowed) return [];
  return rulesOf(state, roleRef, namespace).filter((rule) => !coveredBy(state, caller, rule, namespace));
}

function coveredBy(state: RbacState, caller: UserInfo, rule: PolicyRule, namespace: string | undefined): boolean {
  for (const verb of rule.verbs)
    for (const group of rule.apiGroups ?? [])
      for (const resource of rule.resources ?? []) {
        const [res = "", sub] = resource.split("/");
        const names = rule.resourceNames?.length ? rule.resourceNames : [undefined];
        for (const name of names) {
          if (!authorize(state, caller, { verb, group, resource: res, subresource: sub, name, namespace }).allowed)
            return false;
        }
      }
  return true;
}
