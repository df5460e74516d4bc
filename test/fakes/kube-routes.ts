/**
 * The fake API server's RBAC resources, at the paths of the API reference
 * (kubernetes.io/docs/reference/kubernetes-api/authorization-resources/role-binding-v1/ and
 * cluster-role-binding-v1/, role-v1/, cluster-role-v1/):
 *   /apis/rbac.authorization.k8s.io/v1/clusterrolebindings[/{name}]
 *   /apis/rbac.authorization.k8s.io/v1/namespaces/{namespace}/rolebindings[/{name}]
 *   /apis/rbac.authorization.k8s.io/v1/rolebindings            (list, all namespaces)
 *   /apis/rbac.authorization.k8s.io/v1/clusterroles/{name}, …/namespaces/{namespace}/roles/{name}
 */
import type { Binding, PolicyRule } from "./kube-rbac.js";
import { escalationProblem, RBAC_GROUP } from "./kube-rbac.js";
import { parseSelector, selects } from "./kube-selector.js";
import type { RouteContext } from "./kube-server.js";
import { alreadyExists, failure, invalid, methodNotAllowed, notFound } from "./kube-status.js";
import { validateBinding } from "./kube-validate.js";

const PREFIX = `/apis/${RBAC_GROUP}/v1/`;

interface Target {
  plural: "rolebindings" | "clusterrolebindings" | "roles" | "clusterroles";
  namespace: string | undefined;
  name: string | undefined;
}

function parse(path: string): Target | undefined {
  if (!path.startsWith(PREFIX)) return undefined;
  const parts = path.slice(PREFIX.length).split("/").map(decodeURIComponent);
  let namespace: string | undefined;
  if (parts[0] === "namespaces") {
    namespace = parts[1];
    parts.splice(0, 2);
  }
  const [plural, name, ...rest] = parts;
  if (rest.length > 0 || !plural) return undefined;
  if (
    plural !== "rolebindings" &&
    plural !== "clusterrolebindings" &&
    plural !== "roles" &&
    plural !== "clusterroles"
  ) {
    return undefined;
  }
  // Cluster-scoped kinds have no namespaced path; namespaced kinds list across namespaces without one.
  if ((plural === "clusterrolebindings" || plural === "clusterroles") && namespace !== undefined) return undefined;
  return { plural, namespace, name: name || undefined };
}

export async function handleBindings(ctx: RouteContext): Promise<boolean> {
  const target = parse(ctx.url.pathname);
  if (!target) return false;
  const { server, method } = ctx;
  const verb = method === "POST" ? "create" : method === "DELETE" ? "delete" : target.name ? "get" : "list";
  if (!["GET", "POST", "DELETE"].includes(method) || (method === "POST" && target.name)) {
    ctx.refuse(methodNotAllowed());
    return true;
  }
  // The authorizer runs before the handler: the caller needs the verb on the resource.
  const denied = server.check(ctx.user, {
    verb,
    group: RBAC_GROUP,
    resource: target.plural,
    name: method === "POST" ? undefined : target.name,
    namespace: target.namespace,
  });
  if (denied) {
    ctx.refuse(denied);
    return true;
  }
  // NamespaceLifecycle "ensures that requests in a non-existent namespace are rejected"
  // (kubernetes.io/docs/reference/access-authn-authz/admission-controllers, "NamespaceLifecycle").
  if (target.namespace !== undefined && !server.namespaces.has(target.namespace) && method === "POST") {
    ctx.refuse(notFound("namespaces", "", target.namespace));
    return true;
  }
  if (target.plural === "roles" || target.plural === "clusterroles") {
    readRole(ctx, target);
    return true;
  }
  const store = target.plural === "rolebindings" ? server.roleBindings : server.clusterRoleBindings;
  const keyOf = (name: string) =>
    target.namespace !== undefined && target.plural === "rolebindings" ? `${target.namespace}/${name}` : name;
  if (method === "POST") create(ctx, target, store, keyOf);
  else if (method === "DELETE" && target.name) {
    const existing = store.get(keyOf(target.name));
    // Delete of a missing object: 404 NotFound (api-conventions.md, "NotFound").
    if (!existing) ctx.refuse(notFound(target.plural, RBAC_GROUP, target.name));
    else {
      store.delete(keyOf(target.name));
      // Bindings are deleted at once and answered with a Success Status (api-conventions.md "Response Status Kind").
      ctx.send(200, {
        kind: "Status",
        apiVersion: "v1",
        metadata: {},
        status: "Success",
        details: { name: target.name, group: RBAC_GROUP, kind: target.plural, uid: existing.metadata.uid },
      });
    }
  } else if (target.name) {
    const existing = store.get(keyOf(target.name));
    if (!existing) ctx.refuse(notFound(target.plural, RBAC_GROUP, target.name));
    else ctx.send(200, { apiVersion: `${RBAC_GROUP}/v1`, kind: kindOf(target.plural), ...existing });
  } else list(ctx, target, store);
  return true;
}

function kindOf(plural: string): string {
  return plural === "rolebindings" ? "RoleBinding" : "ClusterRoleBinding";
}

function create(ctx: RouteContext, target: Target, store: Map<string, Binding>, keyOf: (name: string) => string): void {
  const { server } = ctx;
  const kind = kindOf(target.plural) as "RoleBinding" | "ClusterRoleBinding";
  const body = ctx.body as Partial<Binding> & { kind?: string; apiVersion?: string; metadata?: Binding["metadata"] };
  const name = body?.metadata?.name ?? "";
  // "the namespace of the provided object does not match the namespace sent on the request" (400).
  if (
    target.namespace !== undefined &&
    body?.metadata?.namespace !== undefined &&
    body.metadata.namespace !== target.namespace
  ) {
    ctx.refuse(
      failure(
        400,
        "BadRequest",
        "the namespace of the provided object does not match the namespace sent on the request",
      ),
    );
    return;
  }
  const causes = validateBinding(body, kind);
  if (causes.length > 0) {
    ctx.refuse(invalid(kind, RBAC_GROUP, name, causes));
    return;
  }
  const binding = body as Binding;
  // Escalation prevention runs in the RBAC registry on create (rbac.md "Privilege escalation
  // prevention and bootstrapping"). The refusal is pkg/registry/rbac/validation/rule.go
  // ConfirmNoEscalation's, wrapped by NewForbidden: `user %q (groups=%q) is attempting to grant RBAC
  // permissions not currently held:\n<rules>`, each missing rule in rbacv1helpers.CompactString form,
  // sorted, one a line.
  const lacking = escalationProblem(server, ctx.user, binding.roleRef, target.namespace);
  if (lacking.length > 0) {
    const groups = `[${ctx.user.groups.map((g) => JSON.stringify(g)).join(" ")}]`;
    const rules = [...new Set(lacking.map(compactString))].sort().join("\n");
    ctx.refuse(
      failure(
        403,
        "Forbidden",
        `${target.plural}.${RBAC_GROUP} "${name}" is forbidden: user "${ctx.user.name}" (groups=${groups}) is attempting to grant RBAC permissions not currently held:\n${rules}`,
        { name, group: RBAC_GROUP, kind: target.plural },
      ),
    );
    return;
  }
  // Create of an existing name: 409 AlreadyExists (api-conventions.md, "AlreadyExists").
  if (store.has(keyOf(name))) {
    ctx.refuse(alreadyExists(target.plural, RBAC_GROUP, name));
    return;
  }
  const stored: Binding = {
    metadata: {
      ...binding.metadata,
      ...(target.namespace !== undefined ? { namespace: target.namespace } : {}),
      uid: server.newUid(),
      resourceVersion: server.nextResourceVersion(),
      creationTimestamp: new Date(Math.floor(server.now().getTime() / 1000) * 1000).toISOString().replace(".000Z", "Z"),
    },
    roleRef: binding.roleRef,
    ...(binding.subjects ? { subjects: binding.subjects } : {}),
  };
  store.set(keyOf(name), stored);
  ctx.send(201, { apiVersion: `${RBAC_GROUP}/v1`, kind, ...stored });
}

function list(ctx: RouteContext, target: Target, store: Map<string, Binding>): void {
  const selectorText = ctx.url.searchParams.get("labelSelector") ?? "";
  const selector = parseSelector(selectorText);
  if (!selector) {
    ctx.refuse(failure(400, "BadRequest", `unable to parse requirement: ${JSON.stringify(selectorText)}`));
    return;
  }
  const items = [...store.values()].filter(
    (b) =>
      (target.namespace === undefined || b.metadata.namespace === target.namespace) &&
      selects(selector, b.metadata.labels ?? {}),
  );
  ctx.send(200, {
    apiVersion: `${RBAC_GROUP}/v1`,
    kind: `${kindOf(target.plural)}List`,
    metadata: { resourceVersion: ctx.server.nextResourceVersion() },
    items,
  });
}

function readRole(ctx: RouteContext, target: Target): void {
  const { server } = ctx;
  if (ctx.method !== "GET" || !target.name) {
    ctx.refuse(failure(405, "MethodNotAllowed", "the fake serves roles read-only, by name"));
    return;
  }
  const rules =
    target.plural === "clusterroles"
      ? server.clusterRoles.get(target.name)
      : server.roles.get(`${target.namespace}/${target.name}`);
  if (!rules) {
    ctx.refuse(notFound(target.plural, RBAC_GROUP, target.name));
    return;
  }
  ctx.send(200, {
    apiVersion: `${RBAC_GROUP}/v1`,
    kind: target.plural === "clusterroles" ? "ClusterRole" : "Role",
    metadata: { name: target.name, ...(target.namespace ? { namespace: target.namespace } : {}) },
    rules,
  });
}

/**
 * rbacv1helpers.CompactString: `{APIGroups:["apps"], Resources:["deployments"], Verbs:["delete"]}`,
 * each present list Go-quoted (%q of a []string: space-separated), in this order.
 */
function compactString(rule: PolicyRule): string {
  const quoted = (list: string[]) => `[${list.map((v) => JSON.stringify(v)).join(" ")}]`;
  const fields: [string, string[] | undefined][] = [
    ["APIGroups", rule.apiGroups],
    ["Resources", rule.resources],
    ["ResourceNames", rule.resourceNames],
    ["NonResourceURLs", rule.nonResourceURLs],
    ["Verbs", rule.verbs],
  ];
  const parts = fields
    .filter(([, list]) => list && list.length > 0)
    .map(([key, list]) => `${key}:${quoted(list ?? [])}`);
  return `{${parts.join(", ")}}`;
}
