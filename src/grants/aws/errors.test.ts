import { describe, expect, it } from "vitest";
import { type AwsAction, awsErrorShape, isAwsError, toProviderError } from "./errors.js";

/**
 * The AWS mapping decides whether a failed grant or revoke is retried or a person is told what to fix,
 * so each rule is pinned: the code, whether it is retried, and the words that name the fix. Errors
 * are built the way SDK v3 throws them: `name`, `message`, `$metadata.httpStatusCode`.
 */
const ROLE = "arn:aws:iam::123456789012:role/EKS-Pod-Manager";
const PRINCIPAL = "arn:aws:iam::123456789012:user/alice";
const ACTIONS = {
  assume: { kind: "assume-role", roleArn: ROLE, region: "us-west-2", maxSessionSeconds: 12 * 3600 },
  policy: { kind: "role-policy", roleArn: ROLE },
  entry: { kind: "access-entry", cluster: "britive-test", region: "eu-west-1", principalArn: PRINCIPAL },
  list: { kind: "list-access-entries", cluster: "britive-test", region: "eu-west-1" },
} satisfies Record<string, AwsAction>;

function awsError(name: string, status: number | undefined, message = "", headers?: Record<string, string>) {
  return Object.assign(new Error(message), {
    name,
    $metadata: status === undefined ? {} : { httpStatusCode: status },
    ...(headers ? { $response: { headers } } : {}),
  });
}

describe("the shape of an AWS error", () => {
  it("reads the name, message, status and Retry-After (in seconds) of an SDK error", () => {
    expect(awsErrorShape(awsError("Throttling", 400, "Rate exceeded", { "retry-after": "2" }))).toEqual({
      name: "Throttling",
      message: "Rate exceeded",
      statusCode: 400,
      retryAfterMs: 2000,
    });
  });

  it.each([
    ["no Retry-After", undefined, undefined],
    ["Retry-After: 0", "0", 0],
    ["a negative Retry-After", "-1", undefined],
    ["a Retry-After that is a date", "Wed, 21 Oct 2026 07:28:00 GMT", undefined],
    ["an endless Retry-After", "Infinity", undefined],
  ])("reads %s", (_why, header, retryAfterMs) => {
    const headers: Record<string, string> =
      header === undefined ? { "x-amzn-requestid": "r" } : { "retry-after": header };
    expect(awsErrorShape(awsError("Throttling", 400, "", headers)).retryAfterMs).toBe(retryAfterMs);
  });

  it.each([
    ["undefined", undefined],
    ["null", null],
    ["a string", "AccessDenied"],
    ["an object without a name or message", { name: 7, message: { text: "m" } }],
    // A function has a name of its own; it is no error object, so its name is not an AWS error's.
    ["a function", function AccessDenied() {}],
  ])("makes do with %s", (_why, thrown) => {
    expect(awsErrorShape(thrown)).toEqual({
      name: "Error",
      message: "",
      statusCode: undefined,
      retryAfterMs: undefined,
    });
  });

  it("tells an error by any of the names asked for", () => {
    const error = awsError("NoSuchEntity", 404);
    expect(isAwsError(error, "NoSuchEntity")).toBe(true);
    expect(isAwsError(error, "ResourceNotFoundException", "NoSuchEntity")).toBe(true);
    expect(isAwsError(error, "ResourceNotFoundException")).toBe(false);
    expect(isAwsError(error)).toBe(false);
  });
});

type Case = [why: string, error: unknown, action: AwsAction, code: string, retryable: boolean, words: string];

const CASES: Case[] = [
  ...["Throttling", "ThrottlingException", "TooManyRequestsException", "RequestLimitExceeded", "SlowDown"].map(
    (name): Case => [`${name} is throttling`, awsError(name, 400), ACTIONS.assume, "THROTTLED", true, "throttling"],
  ),
  ["any 429 is throttling", awsError("Whatever", 429), ACTIONS.entry, "THROTTLED", true, "throttling"],
  ...[
    "InvalidClientTokenId",
    "ExpiredToken",
    "ExpiredTokenException",
    "SignatureDoesNotMatch",
    "UnrecognizedClientException",
    "CredentialsProviderError",
  ].map(
    (name): Case => [
      `${name} is the bot's own credentials`,
      awsError(name, 403),
      ACTIONS.assume,
      "FORBIDDEN",
      false,
      "AWS refused jitbot's own credentials; check the bot's IRSA or Pod Identity role",
    ],
  ),
  [
    "STS off in the action's region",
    awsError("RegionDisabledException", 403),
    ACTIONS.assume,
    "INVALID_REQUEST",
    false,
    "STS is not activated in us-west-2; activate it",
  ],
  [
    "STS off where the action names no region",
    awsError("RegionDisabledException", 403),
    ACTIONS.policy,
    "INVALID_REQUEST",
    false,
    "STS is not activated in this region;",
  ],
  [
    "AccessDenied on AssumeRole",
    awsError("AccessDenied", 403),
    ACTIONS.assume,
    "FORBIDDEN",
    false,
    `jitbot may not assume ${ROLE}; its trust policy must allow the bot's role sts:AssumeRole, sts:SetSourceIdentity and sts:TagSession`,
  ],
  [
    "AccessDeniedException from EKS, whatever its status",
    awsError("AccessDeniedException", 400),
    ACTIONS.entry,
    "FORBIDDEN",
    false,
    "jitbot may not manage access entries of EKS cluster britive-test; give the bot's role eks:CreateAccessEntry",
  ],
  [
    "any 403 on the role's inline policy",
    awsError("NotAuthorized", 403),
    ACTIONS.policy,
    "FORBIDDEN",
    false,
    `jitbot may not change the inline policies of ${ROLE}; give the bot's role iam:PutRolePolicy`,
  ],
  [
    "a 403 listing access entries",
    awsError("AccessDeniedException", 403),
    ACTIONS.list,
    "FORBIDDEN",
    false,
    "jitbot may not list the access entries of EKS cluster britive-test for the orphan reaper; give the bot's role eks:ListAccessEntries",
  ],
  [
    "a session longer than the role's maximum",
    awsError("ValidationError", 400, "The requested DurationSeconds exceeds the MaxSessionDuration set for this role."),
    ACTIONS.assume,
    "INVALID_REQUEST",
    false,
    "The role's maximum session duration in IAM is below 12h; raise the role's MaxSessionDuration",
  ],
  [
    "a chained session over an hour",
    awsError(
      "ValidationError",
      400,
      "The requested DurationSeconds exceeds the 1 hour session limit for roles assumed by role chaining.",
    ),
    ACTIONS.assume,
    "INVALID_REQUEST",
    false,
    "AWS caps sessions of a role assumed from another role session at 1 hour",
  ],
  [
    "any other ValidationError from STS",
    awsError("ValidationError", 400, "1 validation error detected: Value at 'roleSessionName' failed"),
    ACTIONS.assume,
    "INVALID_REQUEST",
    false,
    `STS refused the session name, source identity, external id or tags jitbot sent for ${ROLE}`,
  ],
  [
    "another AssumeRole error whose text mentions a duration",
    awsError("MalformedPolicyDocumentException", 400, "The session policy's condition is not a valid duration"),
    ACTIONS.assume,
    "UNKNOWN",
    false,
    "AWS refused the request (MalformedPolicyDocumentException); an operator should check the logs.",
  ],
  [
    "a ValidationError about a duration from IAM (not AssumeRole)",
    awsError("ValidationError", 400, "The requested DurationSeconds is wrong"),
    ACTIONS.policy,
    "UNKNOWN",
    false,
    "AWS refused the request (ValidationError); an operator should check the logs.",
  ],
  [
    "a ConfigMap-only cluster refusing an access entry",
    awsError("InvalidRequestException", 400),
    ACTIONS.entry,
    "INVALID_REQUEST",
    false,
    "EKS cluster britive-test uses only the aws-auth ConfigMap, so it has no access entries; set its authentication mode to API_AND_CONFIG_MAP (aws eks update-cluster-config --name britive-test --region eu-west-1",
  ],
  [
    "a ConfigMap-only cluster refusing the list",
    awsError("InvalidRequestException", 400),
    ACTIONS.list,
    "INVALID_REQUEST",
    false,
    "EKS cluster britive-test uses only the aws-auth ConfigMap",
  ],
  [
    "InvalidRequestException outside EKS",
    awsError("InvalidRequestException", 400),
    ACTIONS.assume,
    "UNKNOWN",
    false,
    "(InvalidRequestException)",
  ],
  [
    "a cluster that is not there",
    awsError("ResourceNotFoundException", 404),
    ACTIONS.entry,
    "NOT_FOUND",
    false,
    "EKS cluster britive-test was not found in eu-west-1; check the profile's cluster name and region.",
  ],
  [
    "ResourceNotFoundException while listing (the reaper's own concern)",
    awsError("ResourceNotFoundException", 404),
    ACTIONS.list,
    "UNKNOWN",
    false,
    "(ResourceNotFoundException)",
  ],
  [
    "a principal EKS does not accept",
    awsError("InvalidParameterException", 400),
    ACTIONS.entry,
    "IDENTITY_NOT_FOUND",
    false,
    `EKS did not accept ${PRINCIPAL} as your IAM principal; ask the operator to create it or fix grant.principalArn.`,
  ],
  [
    "InvalidParameterException while listing",
    awsError("InvalidParameterException", 400),
    ACTIONS.list,
    "UNKNOWN",
    false,
    "(InvalidParameterException)",
  ],
  ...["LimitExceededException", "LimitExceeded"].map(
    (name): Case => [
      `${name} on the role's inline policies`,
      awsError(name, 409),
      ACTIONS.policy,
      "INVALID_REQUEST",
      false,
      `The inline policies of ${ROLE} are at IAM's 10,240-character limit`,
    ],
  ),
  [
    "LimitExceededException from EKS",
    awsError("LimitExceededException", 409),
    ACTIONS.entry,
    "UNKNOWN",
    false,
    "(LimitExceededException)",
  ],
  [
    "session tags too large",
    awsError("PackedPolicyTooLargeException", 400),
    ACTIONS.assume,
    "INVALID_REQUEST",
    false,
    `STS refused the session tags for ${ROLE} as too large when packed; use fewer or shorter grant.sessionTags.`,
  ],
  [
    "PackedPolicyTooLargeException anywhere else",
    awsError("PackedPolicyTooLargeException", 400),
    ACTIONS.policy,
    "UNKNOWN",
    false,
    "(PackedPolicyTooLargeException)",
  ],
  [
    "a 500",
    awsError("InternalFailure", 500),
    ACTIONS.policy,
    "UNAVAILABLE",
    true,
    "AWS could not be reached or failed; jitbot will try again.",
  ],
  ["a 503", awsError("ServiceUnavailable", 503), ACTIONS.entry, "UNAVAILABLE", true, "could not be reached"],
  ["no response at all", awsError("TimeoutError", undefined), ACTIONS.assume, "UNAVAILABLE", true, "will try again"],
  ["something that is not an error", "socket hang up", ACTIONS.assume, "UNAVAILABLE", true, "will try again"],
  [
    "an unknown 4xx",
    awsError("MalformedPolicyDocument", 499),
    ACTIONS.policy,
    "UNKNOWN",
    false,
    "AWS refused the request (MalformedPolicyDocument); an operator should check the logs.",
  ],
];

describe("what an AWS failure means", () => {
  it.each(CASES)("%s", (_why, error, action, code, retryable, words) => {
    const mapped = toProviderError(error, action);
    expect({ code: mapped.code, retryable: mapped.retryable }).toEqual({ code, retryable });
    expect(mapped.userMessage).toContain(words);
    expect(mapped.cause).toBe(error);
  });

  it.each([
    ["the wait AWS asked for", { "retry-after": "3" }, 3000],
    ["a second when AWS named none", undefined, 1000],
  ])("waits %s before retrying a throttled call", (_why, headers, wait) => {
    expect(toProviderError(awsError("Throttling", 400, "", headers), ACTIONS.assume).retryAfterMs).toBe(wait);
  });

  it("asks no particular wait after a failure that is not throttling", () => {
    expect(toProviderError(awsError("InternalFailure", 500), ACTIONS.assume).retryAfterMs).toBeUndefined();
  });

  it("keeps AWS's own message out of the sentence", () => {
    const error = awsError("MalformedPolicyDocument", 400, "Policy for arn:aws:iam::999999999999:role/Other is bad");
    expect(toProviderError(error, ACTIONS.policy).userMessage).not.toContain("999999999999");
  });
});
