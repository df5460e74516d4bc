import { describe, expect, it } from "vitest";
import { ConfigError } from "../../src/config/load.js";
import { isValidStsName, roleSessionName, sanitizeStsName, sourceIdentity } from "../../src/grants/aws/validate.js";
import { awsPolicy } from "./helpers.js";

describe("STS names from Slack people", () => {
  it.each([
    ["an email is kept as is", "alice@example.com", "alice@example.com"],
    ["plus addressing and dots are allowed", "a.b+ops@ex-ample.co.uk", "a.b+ops@ex-ample.co.uk"],
    ["spaces, quotes and accents become dashes", "Zoë O'Brien", "Zo--O-Brien"],
    ["colons (aws: prefix) and slashes become dashes", "aws:evil/role", "aws-evil-role"],
    ["long names are cut to 64", `${"x".repeat(70)}@example.com`, "x".repeat(64)],
    ["a one-character name is padded", "a", "ajitbot"],
  ])("%s", (_sentence, raw, expected) => {
    const name = sanitizeStsName(raw);
    expect(name).toBe(expected);
    expect(isValidStsName(name)).toBe(true);
  });

  it("uses the email for both session name and SourceIdentity, the Slack id when there is no email", () => {
    expect(roleSessionName({ slackUserId: "U1", email: "a@b.c", name: "A" })).toBe("a@b.c");
    expect(sourceIdentity({ slackUserId: "U0ALICE", email: "", name: "" })).toBe("U0ALICE");
  });
});

function problems(roleGrant: string, extra = ""): string[] {
  try {
    awsPolicy(roleGrant, extra);
    return [];
  } catch (error) {
    if (error instanceof ConfigError) return error.problems;
    throw error;
  }
}

const entryProfile = (grant: string) => `
  - id: eks-entry
    title: entry
    cluster: { kind: eks, name: c1, region: us-east-1 }
    grant: { type: eks-access-entry, accessPolicyArn: "arn:aws:eks::aws:cluster-access-policy/AmazonEKSViewPolicy", ${grant} }
    duration: { default: 1h, max: 4h }
    approval: { channel: C0APPROVALS, approvers: { users: [U0LEAD] } }`;

describe("AWS grant options at config load", () => {
  it.each([
    [
      "an STS assumed-role principal is refused, naming the IAM ARN to use",
      "",
      entryProfile('principalArn: "arn:aws:sts::123456789012:assumed-role/Dev/{email}"'),
      "profiles[2].grant.principalArn: is an STS session ARN; an access entry needs the IAM role or user ARN (arn:aws:iam::123456789012:role/Name)",
    ],
    [
      "an unknown placeholder is refused",
      "",
      entryProfile('principalArn: "arn:aws:iam::123456789012:role/{team}"'),
      "profiles[2].grant.principalArn: uses unknown placeholder {team}; use {email} or {user}",
    ],
    [
      "namespace scope needs namespaces",
      "",
      entryProfile('principalArn: "arn:aws:iam::123456789012:user/{user}", accessScope: { type: namespace }'),
      "profiles[2].grant.accessScope.namespaces: is required for namespace scope",
    ],
    [
      "a max session over 12h is refused",
      ", maxSessionDuration: 13h",
      "",
      "profiles[0].grant.maxSessionDuration: must be between 15m (STS's shortest session) and 12h; the role's MaxSessionDuration in IAM (1h to 12h, default 1h) must be at least this",
    ],
    [
      "jitbot's own session tags cannot be overridden",
      ", sessionTags: { jit-requester: mallory }",
      "",
      "profiles[0].grant.sessionTags.jit-requester: is set by jitbot itself",
    ],
  ])("%s", (_sentence, roleGrant, extra, expected) => {
    expect(problems(roleGrant, extra)).toContain(expected);
  });

  it("accepts IAM role and user principals with {email} and {user}", () => {
    expect(problems("", entryProfile('principalArn: "arn:aws:iam::123456789012:user/{email}"'))).toEqual([]);
    expect(problems("", entryProfile('principalArn: "arn:aws:iam::123456789012:role/people/{user}"'))).toEqual([]);
  });
});

describe("grant.maxSessionDuration", () => {
  it("names the real ranges: 15m is STS's shortest session, a role's MaxSessionDuration is 1h to 12h", () => {
    expect(problems(", maxSessionDuration: 10m")).toEqual([
      expect.stringContaining(
        "must be between 15m (STS's shortest session) and 12h; the role's MaxSessionDuration in IAM (1h to 12h, default 1h) must be at least this",
      ),
    ]);
    expect(problems(", maxSessionDuration: 15m")).toEqual([]);
  });
});
