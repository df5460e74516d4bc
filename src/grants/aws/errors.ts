import { ProviderError } from "../errors.js";

/** What jitbot was doing, so the sentence names the permission or setting to fix. */
export type AwsAction =
  | { kind: "assume-role"; roleArn: string; region: string; maxSessionSeconds: number }
  | { kind: "role-policy"; roleArn: string }
  | { kind: "access-entry"; cluster: string; region: string; principalArn: string }
  | { kind: "list-access-entries"; cluster: string; region: string };

/** The fields of an AWS SDK v3 service error that decide what it means. */
interface AwsErrorShape {
  name: string;
  message: string;
  statusCode: number | undefined;
  retryAfterMs: number | undefined;
}

const THROTTLING = new Set([
  "Throttling",
  "ThrottlingException",
  "TooManyRequestsException",
  "RequestLimitExceeded",
  "SlowDown",
]);
const BAD_CALLER_CREDENTIALS = new Set([
  "InvalidClientTokenId",
  "ExpiredToken",
  "ExpiredTokenException",
  "SignatureDoesNotMatch",
  "UnrecognizedClientException",
  "CredentialsProviderError",
]);
const DEFAULT_RETRY_AFTER_MS = 1_000;

export function awsErrorShape(error: unknown): AwsErrorShape {
  const value = (typeof error === "object" && error !== null ? error : {}) as {
    name?: unknown;
    message?: unknown;
    $metadata?: { httpStatusCode?: number };
    $response?: { headers?: Record<string, string | undefined> };
  };
  const retryAfter = Number(value.$response?.headers?.["retry-after"]);
  return {
    name: typeof value.name === "string" ? value.name : "Error",
    message: typeof value.message === "string" ? value.message : "",
    statusCode: value.$metadata?.httpStatusCode,
    retryAfterMs: Number.isFinite(retryAfter) && retryAfter >= 0 ? retryAfter * 1000 : undefined,
  };
}

/** Is this the AWS error `name` (e.g. NoSuchEntity, ResourceNotFoundException)? */
export function isAwsError(error: unknown, ...names: string[]): boolean {
  return names.includes(awsErrorShape(error).name);
}

/**
 * One sentence per failure, naming what the operator or the person should change. AWS's own message
 * is kept only as the `cause`: it can name accounts and roles, but the user sees the sentence.
 */
export function toProviderError(error: unknown, action: AwsAction): ProviderError {
  const shape = awsErrorShape(error);
  const cause = error;
  if (THROTTLING.has(shape.name) || shape.statusCode === 429) {
    return new ProviderError("THROTTLED", "AWS is throttling jitbot's requests; it will try again shortly.", {
      retryable: true,
      retryAfterMs: shape.retryAfterMs ?? DEFAULT_RETRY_AFTER_MS,
      cause,
    });
  }
  if (BAD_CALLER_CREDENTIALS.has(shape.name)) {
    return new ProviderError(
      "FORBIDDEN",
      "AWS refused jitbot's own credentials; check the bot's IRSA or Pod Identity role (or its AWS_* keys).",
      { retryable: false, cause },
    );
  }
  if (shape.name === "RegionDisabledException") {
    const region = "region" in action ? action.region : "this region";
    return new ProviderError(
      "INVALID_REQUEST",
      `STS is not activated in ${region}; activate it in the IAM account settings or use another region for this profile.`,
      { retryable: false, cause },
    );
  }
  if (shape.name.startsWith("AccessDenied") || shape.statusCode === 403) {
    return new ProviderError("FORBIDDEN", forbiddenSentence(action), { retryable: false, cause });
  }
  if (action.kind === "assume-role" && shape.name === "ValidationError" && /duration/i.test(shape.message)) {
    const sentence = /chain/i.test(shape.message)
      ? "AWS caps sessions of a role assumed from another role session at 1 hour; set grant.maxSessionDuration to 1h (longer grants use the refresh button)."
      : `The role's maximum session duration in IAM is below ${action.maxSessionSeconds / 3600}h; raise the role's MaxSessionDuration or lower grant.maxSessionDuration.`;
    return new ProviderError("INVALID_REQUEST", sentence, { retryable: false, cause });
  }
  // "The cluster's authentication mode must be set to one of [API, API_AND_CONFIG_MAP] to perform this
  // operation." A CONFIG_MAP cluster has no access-entry API at all (EKS "Change authentication mode").
  if (
    (action.kind === "access-entry" || action.kind === "list-access-entries") &&
    shape.name === "InvalidRequestException"
  ) {
    return new ProviderError(
      "INVALID_REQUEST",
      `EKS cluster ${action.cluster} uses only the aws-auth ConfigMap, so it has no access entries; set its authentication mode to API_AND_CONFIG_MAP (aws eks update-cluster-config --name ${action.cluster} --region ${action.region} --access-config authenticationMode=API_AND_CONFIG_MAP).`,
      { retryable: false, cause },
    );
  }
  if (action.kind === "access-entry" && shape.name === "ResourceNotFoundException") {
    return new ProviderError(
      "NOT_FOUND",
      `EKS cluster ${action.cluster} was not found in ${action.region}; check the profile's cluster name and region.`,
      { retryable: false, cause },
    );
  }
  if (action.kind === "access-entry" && shape.name === "InvalidParameterException") {
    return new ProviderError(
      "IDENTITY_NOT_FOUND",
      `EKS did not accept ${action.principalArn} as your IAM principal; ask the operator to create it or fix grant.principalArn.`,
      { retryable: false, cause },
    );
  }
  // IAM's Query code is LimitExceeded (409); SDK v3 names the error LimitExceededException.
  if (action.kind === "role-policy" && (shape.name === "LimitExceededException" || shape.name === "LimitExceeded")) {
    return new ProviderError(
      "INVALID_REQUEST",
      `The inline policies of ${action.roleArn} are at IAM's 10,240-character limit, so jitbot could not write its revoke statement; move or shorten the role's other inline policies (managed policies do not count).`,
      { retryable: false, cause },
    );
  }
  // "The total packed size of the session policies and session tags combined is too large." (STS)
  if (action.kind === "assume-role" && shape.name === "PackedPolicyTooLargeException") {
    return new ProviderError(
      "INVALID_REQUEST",
      `STS refused the session tags for ${action.roleArn} as too large when packed; use fewer or shorter grant.sessionTags.`,
      { retryable: false, cause },
    );
  }
  if (action.kind === "assume-role" && shape.name === "ValidationError") {
    return new ProviderError(
      "INVALID_REQUEST",
      `STS refused the session name, source identity, external id or tags jitbot sent for ${action.roleArn}; an operator should check grant.externalId, grant.sessionTags and the logs.`,
      { retryable: false, cause },
    );
  }
  if (shape.statusCode === undefined || shape.statusCode >= 500) {
    return new ProviderError("UNAVAILABLE", "AWS could not be reached or failed; jitbot will try again.", {
      retryable: true,
      cause,
    });
  }
  return new ProviderError("UNKNOWN", `AWS refused the request (${shape.name}); an operator should check the logs.`, {
    retryable: false,
    cause,
  });
}

function forbiddenSentence(action: AwsAction): string {
  switch (action.kind) {
    case "assume-role":
      return `jitbot may not assume ${action.roleArn}; its trust policy must allow the bot's role sts:AssumeRole, sts:SetSourceIdentity and sts:TagSession (see docs/aws.md).`;
    case "role-policy":
      return `jitbot may not change the inline policies of ${action.roleArn}; give the bot's role iam:PutRolePolicy, iam:GetRolePolicy and iam:DeleteRolePolicy on it (see docs/aws.md).`;
    case "access-entry":
      return `jitbot may not manage access entries of EKS cluster ${action.cluster}; give the bot's role eks:CreateAccessEntry, eks:TagResource, eks:DescribeAccessEntry, eks:AssociateAccessPolicy, eks:DisassociateAccessPolicy, eks:ListAssociatedAccessPolicies and eks:DeleteAccessEntry on it (see docs/aws.md).`;
    case "list-access-entries":
      return `jitbot may not list the access entries of EKS cluster ${action.cluster} for the orphan reaper; give the bot's role eks:ListAccessEntries, eks:DescribeAccessEntry and eks:DeleteAccessEntry on it (see docs/aws.md).`;
  }
}
