/**
 * The API server's `Status` bodies: "a Status kind will be returned by the API in case of an error"
 * with `status`, `message`, `reason`, `details` and `code` (kubernetes/community
 * contributors/devel/sig-architecture/api-conventions.md, "Response Status Kind"). Reasons and
 * their HTTP codes as listed there: Unauthorized 401, Forbidden 403, NotFound 404, AlreadyExists
 * 409, Invalid 422, BadRequest 400, MethodNotAllowed 405, TooManyRequests/Timeout 429.
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
      ...(details ? { details } : {}),
      code,
    },
  };
}

/** The resource as the server names it in messages: `<plural>.<group>` for grouped resources. */
export function qualified(plural: string, group: string): string {
  return group ? `${plural}.${group}` : plural;
}

export const unauthorized = (): Failure => failure(401, "Unauthorized", "Unauthorized");

export function notFound(plural: string, group: string, name: string): Failure {
  return failure(404, "NotFound", `${qualified(plural, group)} "${name}" not found`, { name, group, kind: plural });
}

export function alreadyExists(plural: string, group: string, name: string): Failure {
  return failure(409, "AlreadyExists", `${qualified(plural, group)} "${name}" already exists`, {
    name,
    group,
    kind: plural,
  });
}

export function invalid(kind: string, group: string, name: string, causes: Cause[]): Failure {
  const summary = causes.map((c) => (c.field ? `${c.field}: ${c.message}` : c.message)).join(", ");
  return failure(422, "Invalid", `${kind}.${group} "${name}" is invalid: [${summary}]`, {
    name,
    group,
    kind,
    causes,
  });
}

/**
 * The authorizer's refusal: `<resource> is forbidden: User "<u>" cannot <verb> resource "<r>" in API
 * group "<g>" [in the namespace "<ns>"]` (apiserver endpoints/handlers/responsewriters/errors.go).
 */
export function forbidden(
  user: string,
  verb: string,
  plural: string,
  group: string,
  namespace: string | undefined,
  name?: string,
): Failure {
  const target = name ? `${qualified(plural, group)} "${name}"` : qualified(plural, group);
  const scope = namespace ? ` in the namespace "${namespace}"` : " at the cluster scope";
  return failure(
    403,
    "Forbidden",
    `${target} is forbidden: User "${user}" cannot ${verb} resource "${plural}" in API group "${group}"${scope}`,
    { name, group, kind: plural },
  );
}
