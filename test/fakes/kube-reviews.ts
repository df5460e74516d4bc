/**
 * The authorization.k8s.io/v1 reviews: create-only, cluster-scoped, answered with the object and
 * its `status`; nothing is stored.
 *
 * Sources:
 * - SAR = https://kubernetes.io/docs/reference/kubernetes-api/authorization-resources/subject-access-review-v1/
 *   (and self-subject-access-review-v1/, self-subject-rules-review-v1/): the only operation is
 *   "create", the status fields `allowed`, `denied`, `reason`; SubjectRulesReviewStatus
 *   `resourceRules`, `nonResourceRules`, `incomplete`.
 * - AUTHZ = https://kubernetes.io/docs/reference/access-authn-authz/authorization/ ("Checking API
 *   access": SelfSubjectAccessReview "is a part of the authorization.k8s.io API group, which exposes
 *   the API server authorization to external services"; SelfSubjectRulesReview "Return the list of
 *   actions a user can perform within a namespace").
 * - VAL = kubernetes/kubernetes pkg/apis/authorization/validation/validation.go, and the review
 *   registries pkg/registry/authorization/{subjectaccessreview,selfsubjectrulesreview}/rest.go:
 *   the refusals below, word for word.
 * - RBAC = https://kubernetes.io/docs/reference/access-authn-authz/rbac/ ("Default roles and role
 *   bindings": system:basic-user "Allows a user read-only access to basic information about
 *   themselves").
 */
import {
  SelfSubjectAccessReview,
  SelfSubjectRulesReview,
  SubjectAccessReview,
} from "kubernetes-models/authorization.k8s.io/v1";
import { type Attributes, authorize, authorizeNonResource, rulesFor } from "./kube-rbac.js";
import type { RouteContext } from "./kube-server.js";
import { badRequest, invalid, methodNotAllowed } from "./kube-status.js";

const GROUP = "authorization.k8s.io";
const PREFIX = `/apis/${GROUP}/v1/`;

interface ResourceAttributes {
  namespace?: string;
  verb?: string;
  group?: string;
  resource?: string;
  subresource?: string;
  name?: string;
}

function attributesOf(r: ResourceAttributes): Attributes {
  return {
    verb: r.verb ?? "",
    group: r.group ?? "",
    resource: r.resource ?? "",
    subresource: r.subresource || undefined,
    name: r.name || undefined,
    namespace: r.namespace || undefined,
  };
}

interface ReviewSpec {
  user?: string;
  groups?: string[];
  resourceAttributes?: ResourceAttributes;
  nonResourceAttributes?: unknown;
  namespace?: string;
}

export async function handleReviews(ctx: RouteContext): Promise<boolean> {
  const { pathname } = ctx.url;
  if (!pathname.startsWith(PREFIX)) return false;
  const plural = pathname.slice(PREFIX.length);
  const kinds = {
    subjectaccessreviews: "SubjectAccessReview",
    selfsubjectaccessreviews: "SelfSubjectAccessReview",
    selfsubjectrulesreviews: "SelfSubjectRulesReview",
  } as const;
  const kind = kinds[plural as keyof typeof kinds];
  if (!kind) return false;
  // SAR: the reviews have one operation, create; any other verb is 405 (kube-status methodNotAllowed).
  if (ctx.method !== "POST") {
    ctx.refuse(methodNotAllowed());
    return true;
  }
  // Creating a SubjectAccessReview is itself authorised ("create" on subjectaccessreviews); the
  // self reviews are allowed to every authenticated user by system:basic-user (RBAC "Default roles
  // and role bindings").
  if (kind === "SubjectAccessReview") {
    const denied = ctx.server.check(ctx.user, { verb: "create", group: GROUP, resource: plural });
    if (denied) {
      ctx.refuse(denied);
      return true;
    }
  }
  const raw = (ctx.body ?? {}) as { spec?: unknown };
  const body = { ...raw, spec: raw.spec ?? {} };
  try {
    // The server decodes the body into the kind's type; a body of the wrong shape fails there, as
    // a 400 decode error ("… cannot be handled as a …"), before any validation. A missing spec is
    // not a decode error: it decodes as empty and fails validation below.
    const Model =
      kind === "SubjectAccessReview"
        ? SubjectAccessReview
        : kind === "SelfSubjectAccessReview"
          ? SelfSubjectAccessReview
          : SelfSubjectRulesReview;
    new Model(body as never).validate();
  } catch (error) {
    ctx.refuse(badRequest(`${kind} in version "v1" cannot be handled as a ${kind}: ${String(error)}`));
    return true;
  }
  const spec = body.spec as ReviewSpec;
  if (kind === "SelfSubjectRulesReview") {
    // VAL selfsubjectrulesreview/rest.go: `if namespace == "" { return nil,
    // apierrors.NewBadRequest("no namespace on request") }`.
    if (!spec.namespace) {
      ctx.refuse(badRequest("no namespace on request"));
      return true;
    }
    const rules = rulesFor(ctx.server, ctx.user, spec.namespace);
    ctx.send(201, {
      apiVersion: `${GROUP}/v1`,
      kind,
      metadata: { creationTimestamp: null },
      spec,
      status: {
        resourceRules: rules
          .filter((r) => r.resources)
          .map(({ verbs, apiGroups, resources, resourceNames }) => ({ verbs, apiGroups, resources, resourceNames })),
        nonResourceRules: rules
          .filter((r) => r.nonResourceURLs)
          .map(({ verbs, nonResourceURLs }) => ({ verbs, nonResourceURLs })),
        incomplete: false,
      },
    });
    return true;
  }
  // VAL ValidateSubjectAccessReviewSpec / ValidateSelfSubjectAccessReviewSpec, each a field.Invalid
  // (422 Invalid, `<Kind>.authorization.k8s.io "" is invalid: …`: the registry calls
  // NewInvalid(Kind, "", errs)).
  const causes = [];
  if (spec.resourceAttributes && spec.nonResourceAttributes) {
    causes.push({
      reason: "FieldValueInvalid",
      field: "spec.nonResourceAttributes",
      message: `Invalid value: ${JSON.stringify(spec.nonResourceAttributes)}: cannot be specified in combination with resourceAttributes`,
    });
  }
  if (!spec.resourceAttributes && !spec.nonResourceAttributes) {
    causes.push({
      reason: "FieldValueInvalid",
      field: "spec.resourceAttributes",
      message: "Invalid value: null: exactly one of nonResourceAttributes or resourceAttributes must be specified",
    });
  }
  if (kind === "SubjectAccessReview" && !spec.user && !(spec.groups ?? []).length) {
    causes.push({
      reason: "FieldValueInvalid",
      field: "spec.user",
      message: `Invalid value: ${JSON.stringify(spec.user ?? "")}: at least one of user or group must be specified`,
    });
  }
  if (causes.length > 0) {
    ctx.refuse(invalid(kind, GROUP, "", causes));
    return true;
  }
  const subject = kind === "SubjectAccessReview" ? { name: spec.user ?? "", groups: spec.groups ?? [] } : ctx.user;
  // SAR SubjectAccessReviewStatus: `allowed`, and `reason` only when the authorizer gave one.
  const answer = (decision: { allowed: boolean; reason: string }) =>
    ctx.send(201, {
      apiVersion: `${GROUP}/v1`,
      kind,
      metadata: { creationTimestamp: null },
      spec,
      status: { allowed: decision.allowed, ...(decision.reason ? { reason: decision.reason } : {}) },
    });
  if (!spec.resourceAttributes) {
    const { path = "", verb = "" } = (spec.nonResourceAttributes ?? {}) as { path?: string; verb?: string };
    answer(authorizeNonResource(ctx.server, subject, path, verb));
    return true;
  }
  const attributes = attributesOf(spec.resourceAttributes);
  const decision = authorize(ctx.server, subject, attributes);
  if (kind === "SubjectAccessReview") {
    ctx.server.reviews.push({
      user: subject.name,
      groups: subject.groups,
      attributes,
      allowed: decision.allowed,
      at: ctx.server.now(),
    });
  }
  answer(decision);
  return true;
}
