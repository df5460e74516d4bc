/**
 * The calls jitbot makes to one cluster, through @kubernetes/client-node, each turned into a value
 * or a ProviderError with one sentence. Idempotence lives here: a create that finds the binding
 * answers "exists", a delete that finds none answers "absent" (api-conventions.md: 409
 * AlreadyExists, 404 NotFound).
 */
import {
  AuthorizationV1Api,
  type KubeConfig,
  RbacAuthorizationV1Api,
  type V1ClusterRoleBinding,
  type V1PolicyRule,
  type V1RoleBinding,
} from "@kubernetes/client-node";
import { ProviderError } from "../errors.js";
import { type BindingTarget, describeTarget } from "./binding.js";
import { isStatus, type KubeAction, toProviderError } from "./errors.js";
import type { KubeCluster, ReviewAttributes } from "./options.js";

/** A call the API server does not answer within this long counts as unreachable (and is retried). */
export const KUBE_CALL_TIMEOUT_MS = 30_000;

export interface Review {
  allowed: boolean;
  /** The authorizer's reason ("RBAC: allowed by RoleBinding …"), or "" when it gave none. */
  reason: string;
}

export class ClusterApi {
  private readonly rbac: RbacAuthorizationV1Api;
  private readonly authz: AuthorizationV1Api;

  constructor(
    readonly cluster: KubeCluster,
    config: KubeConfig,
  ) {
    this.rbac = config.makeApiClient(RbacAuthorizationV1Api);
    this.authz = config.makeApiClient(AuthorizationV1Api);
  }

  async createBinding(
    target: BindingTarget,
    body: V1RoleBinding & V1ClusterRoleBinding,
  ): Promise<"created" | "exists"> {
    const what = `create ${describeTarget(target)}`;
    try {
      await this.call(what, () =>
        target.namespace
          ? this.rbac.createNamespacedRoleBinding({ namespace: target.namespace, body })
          : this.rbac.createClusterRoleBinding({ body }),
      );
      return "created";
    } catch (error) {
      if (isStatus(error, 409, "AlreadyExists")) return "exists";
      throw this.explain(error, what);
    }
  }

  async readBinding(target: BindingTarget): Promise<V1RoleBinding | V1ClusterRoleBinding | undefined> {
    const what = `read ${describeTarget(target)}`;
    try {
      return await this.call(what, () =>
        target.namespace
          ? this.rbac.readNamespacedRoleBinding({ name: target.name, namespace: target.namespace })
          : this.rbac.readClusterRoleBinding({ name: target.name }),
      );
    } catch (error) {
      if (isStatus(error, 404)) return undefined;
      throw this.explain(error, what);
    }
  }

  async deleteBinding(target: BindingTarget): Promise<"deleted" | "absent"> {
    const what = `delete ${describeTarget(target)}`;
    try {
      await this.call(what, () =>
        target.namespace
          ? this.rbac.deleteNamespacedRoleBinding({ name: target.name, namespace: target.namespace })
          : this.rbac.deleteClusterRoleBinding({ name: target.name }),
      );
      return "deleted";
    } catch (error) {
      if (isStatus(error, 404, "NotFound")) return "absent";
      throw this.explain(error, what);
    }
  }

  /**
   * Every binding matching `labelSelector`, in one namespace or cluster-wide, page after page
   * ("limit" and "continue", kubernetes.io/docs/reference/using-api/api-concepts, "Retrieving large
   * results sets in chunks"). For the orphan reaper: any failure throws, never a partial list.
   */
  async listBindings(
    namespace: string | undefined,
    labelSelector: string,
  ): Promise<(V1RoleBinding | V1ClusterRoleBinding)[]> {
    const what = namespace ? `list RoleBindings in namespace ${namespace}` : "list ClusterRoleBindings";
    const found: (V1RoleBinding | V1ClusterRoleBinding)[] = [];
    let next: string | undefined;
    try {
      do {
        const page = await this.call(what, () =>
          namespace
            ? this.rbac.listNamespacedRoleBinding({ namespace, labelSelector, limit: 500, _continue: next })
            : this.rbac.listClusterRoleBinding({ labelSelector, limit: 500, _continue: next }),
        );
        found.push(...page.items);
        next = page.metadata?._continue || undefined;
      } while (next);
    } catch (error) {
      throw this.explain(error, what);
    }
    return found;
  }

  /** The rules of the role a profile binds; a missing role is said plainly (the server would accept the binding). */
  async roleRules(kind: "ClusterRole" | "Role", name: string, namespace: string | undefined): Promise<V1PolicyRule[]> {
    const where = kind === "Role" ? ` in namespace ${namespace}` : "";
    const what = `read ${kind} ${name}${where}`;
    try {
      const role = await this.call(what, () =>
        kind === "Role" && namespace
          ? this.rbac.readNamespacedRole({ name, namespace })
          : this.rbac.readClusterRole({ name }),
      );
      return role.rules ?? [];
    } catch (error) {
      if (isStatus(error, 404)) {
        throw new ProviderError(
          "NOT_FOUND",
          `Cluster ${this.cluster.name} has no ${kind} ${name}${where}; create it or fix the profile's grant.roleRef.`,
          { retryable: false, cause: error },
        );
      }
      throw this.explain(error, what);
    }
  }

  /**
   * SubjectAccessReview: "If you specify 'User' but not 'Groups', then is it interpreted as 'What if
   * User were not a member of any groups'" (authorization.k8s.io/v1 SubjectAccessReviewSpec) — the
   * access jitbot's binding gives the person, not what their groups give them anyway.
   */
  async review(user: string, attributes: ReviewAttributes, namespace: string | undefined): Promise<Review> {
    const what = `ask whether ${user} may ${attributes.verb} ${attributes.resource} (SubjectAccessReview)`;
    try {
      const answer = await this.call(what, () =>
        this.authz.createSubjectAccessReview({
          body: {
            apiVersion: "authorization.k8s.io/v1",
            kind: "SubjectAccessReview",
            spec: {
              user,
              resourceAttributes: {
                verb: attributes.verb,
                group: attributes.group,
                resource: attributes.resource,
                ...(attributes.subresource ? { subresource: attributes.subresource } : {}),
                ...(namespace ? { namespace } : {}),
              },
            },
          },
        }),
      );
      return { allowed: answer.status?.allowed === true, reason: answer.status?.reason ?? "" };
    } catch (error) {
      throw this.explain(error, what);
    }
  }

  private explain(error: unknown, what: string): ProviderError {
    const action: KubeAction = { cluster: this.cluster.name, server: this.cluster.server, what };
    return toProviderError(error, action);
  }

  /** Bounded: a server that accepts the connection and never answers must not hold a revoke forever. */
  private async call<T>(what: string, run: () => Promise<T>): Promise<T> {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(
        () =>
          reject(
            new ProviderError(
              "UNAVAILABLE",
              `The API server of cluster ${this.cluster.name} did not answer within ${KUBE_CALL_TIMEOUT_MS / 1000} s when jitbot tried to ${what}; it will try again.`,
            ),
          ),
        KUBE_CALL_TIMEOUT_MS,
      );
      timer.unref?.();
    });
    try {
      return await Promise.race([run(), timeout]);
    } finally {
      clearTimeout(timer);
    }
  }
}
