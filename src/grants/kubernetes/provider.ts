/**
 * `kubernetes-rolebinding`: a (Cluster)RoleBinding for the person, created with jitbot's own
 * cluster credentials, checked with a SubjectAccessReview, and deleted at the end — which the
 * cluster enforces on the person's very next request, because RBAC is evaluated on every request.
 */
import type { Cluster, Profile } from "../../config/schema.js";
import type { Clock } from "../../domain/clock.js";
import { ProviderError } from "../errors.js";
import type { OrphanFinder, OwnedObject } from "../orphans.js";
import { extendOwnTimer } from "../own-timer.js";
import type {
  ActiveGrant,
  Extender,
  ExtendOutcome,
  GrantOutcome,
  GrantProvider,
  GrantRequest,
  GrantSubject,
  ProviderState,
  ReadBack,
  RevokeOutcome,
  RevokeReader,
} from "../provider.js";
import type { ClusterApi, Review } from "./api.js";
import { bindingObject, bindingTarget, describeTarget, isOurBinding } from "./binding.js";
import { bindingInstructions } from "./instructions.js";
import type { KubernetesRoleBindingOptions, ReviewAttributes } from "./options.js";
import { listOwnedBindings, removeOwnedBinding } from "./orphans.js";
import { describeReview, reviewFromRules } from "./review.js";
import type { ClusterUser } from "./subject.js";

/**
 * The RBAC authorizer reads bindings from a watch cache, so a review asked the instant a binding is
 * created can still say no. Asked again after these waits before the grant counts as refused.
 */
export const GRANT_REVIEW_DELAYS_MS: readonly number[] = [250, 500, 1_000, 2_000];

export interface KubeProviderDeps {
  clock: Clock;
  /** The API of a profile's cluster (one client per cluster, made on first use). */
  apiFor(cluster: Cluster): ClusterApi;
  /** The person's user name on the cluster (AKS: Entra UPN or object id; EKS: the access entry's username). */
  userOf(subject: GrantSubject, profile: Profile): Promise<ClusterUser>;
  reviewDelaysMs?: readonly number[];
}

function optionsOf(profile: Profile): KubernetesRoleBindingOptions {
  if (profile.grant.type !== "kubernetes-rolebinding") {
    throw new Error(`profile ${profile.id} is not a kubernetes-rolebinding profile`);
  }
  return profile.grant;
}

function reviewOf(state: ProviderState): ReviewAttributes | undefined {
  const { reviewVerb: verb, reviewResource: resource, reviewGroup: group, reviewSubresource: subresource } = state;
  if (typeof verb !== "string" || typeof resource !== "string" || typeof group !== "string") return undefined;
  return { verb, resource, group, ...(typeof subresource === "string" ? { subresource } : {}) };
}

function seconds(ms: number): string {
  return `${(Math.max(0, ms) / 1000).toFixed(3)} s`;
}

export class KubernetesRoleBindingProvider implements GrantProvider, RevokeReader, Extender, OrphanFinder {
  readonly type = "kubernetes-rolebinding" as const;
  /** When this process deleted a grant's binding: an early end starts the lag clock there, not at expiresAt. */
  private readonly deletedAt = new Map<string, number>();

  constructor(private readonly deps: KubeProviderDeps) {}

  async grant(request: GrantRequest): Promise<GrantOutcome> {
    const { profile } = request;
    const grant = optionsOf(profile);
    const api = this.deps.apiFor(profile.cluster);
    const user = await this.deps.userOf(request.subject, profile);
    const review = grant.review ?? (await this.reviewForRole(api, grant));
    const target = bindingTarget(request.requestId, grant);
    const body = bindingObject({
      requestId: request.requestId,
      profileId: profile.id,
      requester: request.subject.email || request.subject.slackUserId,
      user: user.name,
      expiresAt: request.expiresAt,
      grant,
    });
    let created = await api.createBinding(target, body);
    if (created === "exists") {
      const found = await api.readBinding(target);
      // Deleted between the 409 and the read (a revoke racing a retry): create it afresh.
      if (!found) created = await api.createBinding(target, body);
      else if (!isOurBinding(found, request.requestId, grant, user.name)) {
        throw new ProviderError(
          "INVALID_REQUEST",
          `Cluster ${profile.cluster.name} already has a ${describeTarget(target)} that jitbot did not make for ${request.requestId}; jitbot leaves it alone and grants nothing.`,
          { retryable: false },
        );
      }
    }
    const answer = await this.reviewUntilAllowed(api, user.name, review, grant.namespace);
    if (!answer.allowed) {
      // Nothing half-done stays behind: the binding goes, then the grant fails with the reason.
      await api.deleteBinding(target).catch(() => undefined);
      throw new ProviderError(
        "INVALID_REQUEST",
        `Cluster ${profile.cluster.name} still refuses ${describeReview(user.name, review, grant.namespace)} with jitbot's ${describeTarget(target)} in place (SubjectAccessReview), so jitbot removed the binding; check that the cluster authorizes with Kubernetes RBAC and that ${grant.roleRef.kind} ${grant.roleRef.name} gives this access, or set grant.review.`,
        { retryable: false },
      );
    }
    const now = this.deps.clock.now();
    return {
      state: {
        cluster: profile.cluster.name,
        bindingKind: target.kind,
        bindingName: target.name,
        namespace: target.namespace ?? null,
        user: user.name,
        userSource: user.source,
        reviewVerb: review.verb,
        reviewGroup: review.group,
        reviewResource: review.resource,
        reviewSubresource: review.subresource ?? null,
        reviewAllowed: true,
        reviewAllowedAt: now.toISOString(),
        reviewReason: answer.reason.slice(0, 300),
      },
      instructions: bindingInstructions({ profile, grant, user: user.name, review }),
    };
  }

  /** Needs no stored state: a roll-back after a crash finds the binding by its name too. */
  async revoke(grant: ActiveGrant): Promise<RevokeOutcome> {
    const options = optionsOf(grant.profile);
    const target = bindingTarget(grant.requestId, options);
    const outcome = await this.deps.apiFor(grant.profile.cluster).deleteBinding(target);
    // The first delete is when the access ended; a retry after an alert must not restart the lag clock.
    if (!this.deletedAt.has(grant.requestId)) this.deletedAt.set(grant.requestId, this.deps.clock.now().getTime());
    const where = `on cluster ${grant.profile.cluster.name}`;
    return {
      detail:
        outcome === "deleted"
          ? `deleted ${describeTarget(target)} ${where}`
          : `${describeTarget(target)} ${where} was already gone`,
    };
  }

  /**
   * Proof, not trust: the binding is gone and the cluster's own authorizer now says no to the
   * access it gave. The detail records how long after the end the first "no" came.
   */
  async readBack(grant: ActiveGrant): Promise<ReadBack> {
    const options = optionsOf(grant.profile);
    const target = bindingTarget(grant.requestId, options);
    const api = this.deps.apiFor(grant.profile.cluster);
    const cluster = grant.profile.cluster.name;
    if (await api.readBinding(target)) {
      return { status: "present", detail: `${describeTarget(target)} still exists on cluster ${cluster}` };
    }
    const user = typeof grant.state.user === "string" ? grant.state.user : undefined;
    const review = reviewOf(grant.state);
    // A roll-back (no stored state): the binding was all jitbot could have made.
    if (!user || !review) {
      this.deletedAt.delete(grant.requestId);
      return { status: "gone", detail: `no ${describeTarget(target)} on cluster ${cluster}` };
    }
    const answer = await api.review(user, review, options.namespace);
    const question = describeReview(user, review, options.namespace);
    if (answer.allowed) {
      return {
        status: "present",
        detail: `cluster ${cluster} still allows ${question}${answer.reason ? ` (${answer.reason.slice(0, 200)})` : ""}`,
      };
    }
    return {
      status: "gone",
      detail: `cluster ${cluster} denies ${question} (SubjectAccessReview), ${seconds(this.deps.clock.now().getTime() - this.endOf(grant))} after the end`,
    };
  }

  /** The orphan reaper: bindings labelled as jitbot's in the profile's namespace (or cluster-wide). */
  listOwned(profile: Profile): Promise<OwnedObject[]> {
    return listOwnedBindings(this.deps.apiFor(profile.cluster), profile);
  }

  removeOrphan(profile: Profile, object: OwnedObject): Promise<string | undefined> {
    return removeOwnedBinding(this.deps.apiFor(profile.cluster), object);
  }

  async extend(grant: ActiveGrant, expiresAt: Date): Promise<ExtendOutcome> {
    return extendOwnTimer(grant, expiresAt, "The binding");
  }

  private endOf(grant: ActiveGrant): number {
    const deleted = this.deletedAt.get(grant.requestId);
    this.deletedAt.delete(grant.requestId);
    return Math.min(grant.expiresAt.getTime(), deleted ?? Number.POSITIVE_INFINITY);
  }

  private async reviewForRole(api: ClusterApi, grant: KubernetesRoleBindingOptions): Promise<ReviewAttributes> {
    const { kind, name } = grant.roleRef;
    const review = reviewFromRules(await api.roleRules(kind, name, grant.namespace));
    if (review) return review;
    throw new ProviderError(
      "INVALID_REQUEST",
      `${kind} ${name} on cluster ${api.cluster.name} has no rule jitbot can check with a SubjectAccessReview; set grant.review (verb, resource, group) on the profile.`,
      { retryable: false },
    );
  }

  private async reviewUntilAllowed(
    api: ClusterApi,
    user: string,
    review: ReviewAttributes,
    namespace: string | undefined,
  ): Promise<Review> {
    const delays = this.deps.reviewDelaysMs ?? GRANT_REVIEW_DELAYS_MS;
    for (let attempt = 0; ; attempt++) {
      const answer = await api.review(user, review, namespace);
      const delay = delays[attempt];
      if (answer.allowed || delay === undefined) return answer;
      await new Promise<void>((resolve) => this.deps.clock.setTimer(resolve, delay));
    }
  }
}
