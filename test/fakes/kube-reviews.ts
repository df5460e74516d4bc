/**
 * The authorization.k8s.io/v1 reviews (kubernetes.io/docs/reference/kubernetes-api/authorization-
 * resources/subject-access-review-v1/ and its Self… siblings): create-only, cluster-scoped, answered
 * with the object and its `status`; nothing is stored.
 */
import {
  SelfSubjectAccessReview,
  SelfSubjectRulesReview,
  SubjectAccessReview,
} from "kubernetes-models/authorization.k8s.io/v1";
import { type Attributes, authorize, rulesFor } from "./kube-rbac.js";
import type { RouteContext } from "./kube-server.js";
import { failure, invalid } from "./kube-status.js";

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
  if (ctx.method !== "POST") {
    ctx.refuse(failure(405, "MethodNotAllowed", "the server does not allow this method on the requested resource"));
    return true;
  }
  // Creating a SubjectAccessReview is itself authorised ("create" on subjectaccessreviews); the
  // self reviews are allowed to every authenticated user by system:basic-user (rbac.md "Default roles").
  if (kind === "SubjectAccessReview") {
    const denied = ctx.server.check(ctx.user, { verb: "create", group: GROUP, resource: plural });
    if (denied) {
      ctx.refuse(denied);
      return true;
    }
  }
  const body = (ctx.body ?? {}) as {
    spec?: {
      user?: string;
      groups?: string[];
      resourceAttributes?: ResourceAttributes;
      nonResourceAttributes?: unknown;
      namespace?: string;
    };
  };
  try {
    const Model =
      kind === "SubjectAccessReview"
        ? SubjectAccessReview
        : kind === "SelfSubjectAccessReview"
          ? SelfSubjectAccessReview
          : SelfSubjectRulesReview;
    new Model(body as never).validate();
  } catch (error) {
    ctx.refuse(invalid(kind, GROUP, "", [{ reason: "FieldValueRequired", field: "spec", message: String(error) }]));
    return true;
  }
  const spec = body.spec ?? {};
  if (kind === "SelfSubjectRulesReview") {
    const namespace = spec.namespace ?? "";
    const rules = rulesFor(ctx.server, ctx.user, namespace);
    ctx.send(201, {
      apiVersion: `${GROUP}/v1`,
      kind,
      metadata: {},
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
  // validation.go (authorization): "exactly one of nonResourceAttributes or resourceAttributes must be specified";
  // SubjectAccessReview: "at least one of user or group must be specified".
  const causes = [];
  if (!spec.resourceAttributes === !spec.nonResourceAttributes) {
    causes.push({
      reason: "FieldValueInvalid",
      field: "spec.resourceAttributes",
      message: "exactly one of nonResourceAttributes or resourceAttributes must be specified",
    });
  }
  if (kind === "SubjectAccessReview" && !spec.user && !(spec.groups ?? []).length) {
    causes.push({
      reason: "FieldValueInvalid",
      field: "spec.user",
      message: "at least one of user or group must be specified",
    });
  }
  if (causes.length > 0) {
    ctx.refuse(invalid(kind, GROUP, "", causes));
    return true;
  }
  if (!spec.resourceAttributes) {
    ctx.refuse(failure(422, "Invalid", "the fake answers resourceAttributes reviews only"));
    return true;
  }
  const subject = kind === "SubjectAccessReview" ? { name: spec.user ?? "", groups: spec.groups ?? [] } : ctx.user;
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
  ctx.send(201, {
    apiVersion: `${GROUP}/v1`,
    kind,
    metadata: { creationTimestamp: null },
    spec,
    status: { allowed: decision.allowed, ...(decision.reason ? { reason: decision.reason } : {}) },
  });
  return true;
}
