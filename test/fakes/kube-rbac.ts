/**
 * RBAC as the API server evaluates it, for the fake Kubernetes API server.
 *
 * Sources:
 * - rbac.md = https://kubernetes.io/docs/reference/access-authn-authz/rbac/ (kubernetes/website
 *   content/en/docs/reference/access-authn-authz/rbac.md), by section.
 * - RBACGO = kubernetes/kubernetes plugin/pkg/auth/authorizer/rbac/rbac.go (RuleAllows,
 *   ResourceMatches, authorizingVisitor) and pkg/registry/rbac/validation/rule.go (VisitRulesFor,
 *   describeSubject, the "RBAC: allowed by …" reasons).
 * - SAR = https://kubernetes.io/docs/reference/kubernetes-api/authorization-resources/subject-access-review-v1/
 *   (SubjectAccessReviewStatus: "allowed … Required"; "denied … Denied is optional").
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
 * "Permissions are purely additive (there are no 'deny' rules)" (rbac.md, "Role and ClusterRole").
 * A rule allows a request when its verb, API group, resource and name all match (RBACGO RuleAllows):
 * - `*` matches every verb, group or resource (rbac.md "Referring to resources", wildcards;
 *   RBACGO VerbMatches / APIGroupMatches / ResourceMatches against VerbAll, APIGroupAll, ResourceAll);
 * - a subresource is named "resource/subresource" ("To represent this in an RBAC role, use a slash
 *   to delimit the resource and subresource", rbac.md "Referring to resources"), and a rule's
 *   resource written "*" then "/subresource" matches that subresource of any resource (RBACGO
 *   ResourceMatches);
 * - with resourceNames, only requests that name one of them ("if resourceNames are set, then the
 *   verb must not be list, watch, create, or deletecollection … since the resourceNames portion of
 *   the rule would not match the request", rbac.md "Referring to resources").
 */
export function ruleAllows(rule: PolicyRule, a: Attributes): boolean {
  const has = (list: string[] | undefined, value: string) => (list ?? []).some((v) => v === "*" || v === value);
  if (!has(rule.verbs, a.verb)) return false;
  if (!has(rule.apiGroups, a.group)) return false;
  const resource = a.subresource ? `${a.resource}/${a.subresource}` : a.resource;
  const anyResource = a.subresource ? `*/${a.subresource}` : undefined;
  if (!has(rule.resources, resource) && !(anyResource && (rule.resources ?? []).includes(anyResource))) return false;
  if (rule.resourceNames && rule.resourceNames.length > 0) {
    return a.name !== undefined && rule.resourceNames.includes(a.name);
  }
  return true;
}

/**
 * "A role binding grants the permissions defined in a role to a user or set of users" (rbac.md
 * "RoleBinding and ClusterRoleBinding") by subject: a User by name, a Group by group, a
 * ServiceAccount by its username "system:serviceaccount:<ns>:<name>" ("Service Accounts have
 * usernames with the system:serviceaccount: prefix", rbac.md "Referring to subjects"); a
 * ServiceAccount subject without a namespace is in the binding's (rule.go appliesToUser).
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

/** rule.go describeSubject: `Kind "name"`, a ServiceAccount as `ServiceAccount "name/namespace"`. */
function describeSubject(subject: Subject, bindingNamespace: string | undefined): string {
  if (subject.kind === "ServiceAccount") {
    return `${subject.kind} "${subject.name}/${subject.namespace || bindingNamespace || ""}"`;
  }
  return `${subject.kind} "${subject.name}"`;
}

function rulesOf(state: RbacState, roleRef: Binding["roleRef"], namespace: string | undefined): PolicyRule[] {
  // A binding to a role that does not exist grants nothing; it is not refused at create (RBAC
  // validation.go checks only roleRef's fields; rule.go VisitRulesFor reports the missing role as a
  // resolution error and visits no rules from it).
  if (roleRef.kind === "ClusterRole") return state.clusterRoles.get(roleRef.name) ?? [];
  return state.roles.get(`${namespace}/${roleRef.name}`) ?? [];
}

export interface Decision {
  allowed: boolean;
  reason: string;
}

/**
 * ClusterRoleBindings apply everywhere ("grant permission at the cluster level and in all
 * namespaces"); a RoleBinding only in its namespace, even when it refers to a ClusterRole ("A
 * RoleBinding may also reference a ClusterRole to grant the permissions … within the RoleBinding's
 * namespace", rbac.md "RoleBinding and ClusterRoleBinding"). rule.go VisitRulesFor visits the
 * ClusterRoleBindings first, then the namespace's RoleBindings; the first allowing rule gives the
 * reason `RBAC: allowed by ClusterRoleBinding "<b>" of ClusterRole "<r>" to <subject>` or
 * `RBAC: allowed by RoleBinding "<b>/<ns>" of <Kind> "<r>" to <subject>` (clusterRoleBindingDescriber,
 * roleBindingDescriber).
 */
export function authorize(state: RbacState, user: UserInfo, a: Attributes): Decision {
  for (const binding of state.clusterRoleBindings.values()) {
    const subject = (binding.subjects ?? []).find((s) => subjectMatches(s, user, undefined));
    if (!subject) continue;
    if (rulesOf(state, binding.roleRef, undefined).some((rule) => ruleAllows(rule, a))) {
      return {
        allowed: true,
        reason: `RBAC: allowed by ClusterRoleBinding "${binding.metadata.name}" of ClusterRole "${binding.roleRef.name}" to ${describeSubject(subject, undefined)}`,
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
          reason: `RBAC: allowed by RoleBinding "${binding.metadata.name}/${a.namespace}" of ${binding.roleRef.kind} "${binding.roleRef.name}" to ${describeSubject(subject, a.namespace)}`,
        };
      }
    }
  }
  // RBAC never denies, it has no opinion: status.allowed false and no `denied` ("Denied is optional.
  // True if the action would be denied, otherwise false. If both allowed is false and denied is
  // false, then the authorizer has no opinion", SAR SubjectAccessReviewStatus).
  return { allowed: false, reason: "" };
}

/**
 * Non-resource URLs ("/healthz", "/api"): only a ClusterRole bound by a ClusterRoleBinding grants
 * them ("must be in a ClusterRole bound with a ClusterRoleBinding to be effective"), and "'*' in a
 * nonResourceURL is a suffix glob match" (rbac.md "Referring to resources", rule examples). The
 * reason names the binding as for resources (the same clusterRoleBindingDescriber).
 */
export function authorizeNonResource(state: RbacState, user: UserInfo, path: string, verb: string): Decision {
  for (const binding of state.clusterRoleBindings.values()) {
    const subject = (binding.subjects ?? []).find((s) => subjectMatches(s, user, undefined));
    if (!subject) continue;
    const rules = rulesOf(state, binding.roleRef, undefined);
    const allows = rules.some(
      (rule) =>
        rule.verbs.some((v) => v === "*" || v === verb) &&
        (rule.nonResourceURLs ?? []).some((u) => u === path || (u.endsWith("*") && path.startsWith(u.slice(0, -1)))),
    );
    if (allows) {
      return {
        allowed: true,
        reason: `RBAC: allowed by ClusterRoleBinding "${binding.metadata.name}" of ClusterRole "${binding.roleRef.name}" to ${describeSubject(subject, undefined)}`,
      };
    }
  }
  return { allowed: false, reason: "" };
}

/**
 * The rules that apply to `user` in `namespace`, as SelfSubjectRulesReview reports them: the
 * ClusterRoleBindings' and then the namespace's RoleBindings' (rule.go RulesFor over VisitRulesFor;
 * https://kubernetes.io/docs/reference/kubernetes-api/authorization-resources/self-subject-rules-review-v1/).
 */
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
 * perform the bind verb on the referenced role" (rbac.md "Privilege escalation prevention and
 * bootstrapping", "Restrictions on role binding creation or update"). Returns the rules the caller
 * lacks, empty when it may bind.
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
