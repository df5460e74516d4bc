/**
 * The API server's `Status` bodies, for the fake Kubernetes API server.
 *
 * Sources:
 * - CONV = kubernetes/community contributors/devel/sig-architecture/api-conventions.md
 *   (https://github.com/kubernetes/community/blob/master/contributors/devel/sig-architecture/api-conventions.md),
 *   "Response Status Kind": "Kubernetes will always return the `Status` kind from any API endpoint
 *   when an error occurs", with `status` "Failure", `message`, `reason` ("a machine-readable,
 *   one-word, CamelCase description"), `details` and `code`; and "HTTP Status codes".
 * - STATUS = https://kubernetes.io/docs/reference/kubernetes-api/common-definitions/status/
 *   (the Status and StatusDetails fields).
 * - ERRORS = kubernetes/apimachinery pkg/api/errors/errors.go (NewNotFound, NewAlreadyExists,
 *   NewUnauthorized, NewForbidden, NewInvalid, NewBadRequest, NewGenericServerResponse): the
 *   message of each reason, word for word; and pkg/apis/meta/v1/types.go, whose StatusReason
 *   constants give each reason's "Status code" and whose StatusDetails/StatusCause fields are all
 *   `omitempty` (so an empty name, group or field is absent from the JSON, not "").
 */
import type { Cause } from "./kube-validate.js";

export interface StatusBody {
  kind: "Status";
  apiVersion: "v1";
  metadata: Record<string, never>;
  status: "Success" | "Failure";
  message?: string;
  reason?: string;
  details?: {
    name?: string;
    group?: string;
    kind?: string;
    uid?: string;
    causes?: Cause[];
    retryAfterSeconds?: number;
  };
  code: number;
}

export interface Failure {
  code: number;
  body: StatusBody;
  headers?: Record<string, string>;
}

/** ERRORS types.go: every StatusDetails and StatusCause field is `json:"…,omitempty"`. */
function withoutEmpty(details: NonNullable<StatusBody["details"]>): StatusBody["details"] {
  const out: NonNullable<StatusBody["details"]> = {};
  if (details.name) out.name = details.name;
  if (details.group) out.group = details.group;
  if (details.kind) out.kind = details.kind;
  if (details.uid) out.uid = details.uid;
  if (details.causes?.length) {
    out.causes = details.causes.map((c) => {
      const cause: Partial<Cause> = {};
      if (c.reason) cause.reason = c.reason;
      if (c.message) cause.message = c.message;
      if (c.field) cause.field = c.field;
      return cause as Cause;
    });
  }
  if (details.retryAfterSeconds) out.retryAfterSeconds = details.retryAfterSeconds;
  return out;
}

/**
 * CONV "Response Status Kind": kind Status, apiVersion v1, status "Failure", and `code` the same
 * "suggested HTTP return code" the response carries (STATUS, `code`). The key order is the
 * server's (`{"kind":"Status","apiVersion":"v1","metadata":{},"status":"Failure","message":…,
 * "reason":…,"details":…,"code":…}`, as apiserver's notfoundhandler test records it).
 */
export function failure(code: number, reason: string, message: string, details?: StatusBody["details"]): Failure {
  return {
    code,
    body: {
      kind: "Status",
      apiVersion: "v1",
      metadata: {},
      status: "Failure",
      message,
      reason,
      ...(details ? { details: withoutEmpty(details) } : {}),
      code,
    },
  };
}

/** The resource as the server names it in messages: `<plural>.<group>` (schema.GroupResource.String()). */
export function qualified(plural: string, group: string): string {
  return group ? `${plural}.${group}` : plural;
}

/**
 * A bearer token no authenticator accepts: 401 "Unauthorized" (CONV "Unauthorized"; apiserver's
 * authentication filter answers `apierrors.NewUnauthorized("Unauthorized")`, no details).
 */
export const unauthorized = (): Failure => failure(401, "Unauthorized", "Unauthorized");

/** ERRORS NewNotFound: `<resource> "<name>" not found`, details {name, group, kind: the resource} (CONV "NotFound", 404). */
export function notFound(plural: string, group: string, name: string): Failure {
  return failure(404, "NotFound", `${qualified(plural, group)} "${name}" not found`, { name, group, kind: plural });
}

/**
 * A path no API group serves: go-restful's 404, which the apiserver turns into
 * NewGenericServerResponse(404): "the server could not find the requested resource", reason
 * NotFound, empty details (ERRORS; CONV "404 StatusNotFound": "the requested resource does not exist").
 */
export const noSuchPath = (): Failure =>
  failure(404, "NotFound", "the server could not find the requested resource", {});

/**
 * A verb the resource does not serve: NewGenericServerResponse(405): "the server does not allow
 * this method on the requested resource" (ERRORS; CONV "MethodNotAllowed": "attempting to delete
 * a resource that can only be created", 405).
 */
export const methodNotAllowed = (): Failure =>
  failure(405, "MethodNotAllowed", "the server does not allow this method on the requested resource", {});

/** ERRORS NewBadRequest: the message is the reason given, no details (CONV "BadRequest", 400). */
export const badRequest = (message: string): Failure => failure(400, "BadRequest", message);

/** ERRORS NewAlreadyExists: `<resource> "<name>" already exists` (CONV "AlreadyExists", 409). */
export function alreadyExists(plural: string, group: string, name: string): Failure {
  return failure(409, "AlreadyExists", `${qualified(plural, group)} "${name}" already exists`, {
    name,
    group,
    kind: plural,
  });
}

/**
 * ERRORS NewInvalid: `<Kind>.<group> "<name>" is invalid: <errors>`, details.kind the Kind (not
 * the resource) and one cause a field error (CONV "Invalid", 422: "The `reason`, `message`, and
 * `field` attributes will be set"). The errors are field.ErrorList.ToAggregate(): a lone error as
 * it is, several distinct ones as `[a, b]` (apimachinery pkg/util/errors aggregate.Error()); each
 * is `<field>: <body>` (pkg/util/validation/field Error.Error()).
 */
export function invalid(kind: string, group: string, name: string, causes: Cause[]): Failure {
  const texts = [...new Set(causes.map((c) => (c.field ? `${c.field}: ${c.message}` : c.message)))];
  const aggregate = texts.length === 1 ? texts[0] : `[${texts.join(", ")}]`;
  const target = `${group ? `${kind}.${group}` : kind} "${name}"`;
  return failure(422, "Invalid", texts.length ? `${target} is invalid: ${aggregate}` : `${target} is invalid`, {
    name,
    group,
    kind,
    causes,
  });
}

/**
 * The authorizer's refusal (apiserver endpoints/handlers/responsewriters/errors.go, Forbidden and
 * forbiddenMessage): `User "<u>" cannot <verb> resource "<resource>[/<subresource>]" in API group
 * "<g>" in the namespace "<ns>"` or `… at the cluster scope`, wrapped by ERRORS NewForbidden as
 * `<resource>.<group> ["<name>" ]is forbidden: …` with details {name, group, kind: the resource}
 * (CONV "Forbidden", 403).
 */
export function forbidden(
  user: string,
  verb: string,
  plural: string,
  group: string,
  namespace: string | undefined,
  name?: string,
  subresource?: string,
): Failure {
  const target = name ? `${qualified(plural, group)} "${name}"` : qualified(plural, group);
  const resource = subresource ? `${plural}/${subresource}` : plural;
  const scope = namespace ? ` in the namespace "${namespace}"` : " at the cluster scope";
  return failure(
    403,
    "Forbidden",
    `${target} is forbidden: User "${user}" cannot ${verb} resource "${resource}" in API group "${group}"${scope}`,
    { name, group, kind: plural },
  );
}
