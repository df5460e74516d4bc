import type { Failure } from "./aws-wire.js";

/**
 * Rules of the fake EKS access-entry API (REST JSON), each from its documentation.
 */

export type AuthenticationMode = "API" | "API_AND_CONFIG_MAP" | "CONFIG_MAP";

/**
 * Access entries exist only in the API modes: "The cluster's authentication mode must be set to one of [API,
 * API_AND_CONFIG_MAP] to perform this operation.", 400 InvalidRequestException on every access-entry call of a
 * CONFIG_MAP cluster. "To begin using access entries, you must change the authentication mode of the cluster to
 * either the API_AND_CONFIG_MAP or API modes" ("Change authentication mode to use access entries",
 * https://docs.aws.amazon.com/eks/latest/userguide/setting-up-access-entries.html); InvalidRequestException, 400,
 * "The request is invalid given the state of the cluster" (API_CreateAccessEntry, Errors). CONFIG_MAP is what a
 * cluster created without accessConfig has.
 */
export function authenticationModeProblem(mode: AuthenticationMode): Failure | undefined {
  if (mode !== "CONFIG_MAP") return undefined;
  return {
    status: 400,
    code: "InvalidRequestException",
    message:
      "The cluster's authentication mode must be set to one of [API, API_AND_CONFIG_MAP] to perform this operation.",
  };
}

/** Access policy ARNs are AWS-owned: arn:aws:eks::aws:cluster-access-policy/NAME (API_AssociateAccessPolicy, policyArn). */
const ACCESS_POLICY_ARN = /^arn:aws[a-z-]*:eks::aws:cluster-access-policy\/[A-Za-z]+$/;

function invalidParameter(message: string): Failure {
  return { status: 400, code: "InvalidParameterException", message };
}

/**
 * AssociateAccessPolicy's body (https://docs.aws.amazon.com/eks/latest/APIReference/API_AssociateAccessPolicy.html)
 * and AccessScope (https://docs.aws.amazon.com/eks/latest/APIReference/API_AccessScope.html): type "Valid Values:
 * cluster | namespace"; namespaces "A value is required if you specified namespace for Type". A cluster scope
 * covers every namespace, so a namespace list with it is refused too. The status and code are documented
 * (400 InvalidParameterException, "The specified parameter is invalid"); the message wording is the fake's.
 */
export function associateProblem(body: Record<string, unknown>): Failure | undefined {
  if (typeof body.policyArn !== "string" || !ACCESS_POLICY_ARN.test(body.policyArn)) {
    return invalidParameter(`The policyArn ${String(body.policyArn)} is not a valid access policy ARN.`);
  }
  const scope = body.accessScope as { type?: unknown; namespaces?: unknown } | undefined;
  if (!scope || (scope.type !== "cluster" && scope.type !== "namespace")) {
    return invalidParameter("accessScope.type must be one of [cluster, namespace].");
  }
  const namespaces = Array.isArray(scope.namespaces) ? scope.namespaces : [];
  if (scope.type === "namespace" && namespaces.length === 0) {
    return invalidParameter("accessScope.namespaces is required when accessScope.type is namespace.");
  }
  if (scope.type === "cluster" && namespaces.length > 0) {
    return invalidParameter("accessScope.namespaces can only be specified when accessScope.type is namespace.");
  }
  return undefined;
}
