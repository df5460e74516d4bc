import type { FakeSession } from "./aws-sts.js";
import type { Failure } from "./aws-wire.js";

/**
 * The fake IAM's role inline policies (PutRolePolicy, GetRolePolicy, DeleteRolePolicy, ListRolePolicies),
 * with the rules the real service applies to them.
 */

/**
 * "Role policy size cannot exceed 10,240 characters" — the aggregate of all inline policies of one role —
 * and "IAM doesn't count white space when calculating the size of a policy against these limits."
 * (IAM and AWS STS quotas, https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_iam-quotas.html)
 */
export const ROLE_INLINE_POLICY_LIMIT = 10_240;

/** Characters a policy counts against the quota: whitespace is free. */
export function policySize(document: string): number {
  return document.replace(/\s/g, "").length;
}

type Statement = {
  Sid?: unknown;
  Effect?: string;
  Condition?: Record<string, Record<string, string | string[]>>;
};

function malformed(message: string): Failure {
  return { status: 400, code: "MalformedPolicyDocument", message };
}

/** Refuses a document the way PutRolePolicy does (https://docs.aws.amazon.com/IAM/latest/APIReference/API_PutRolePolicy.html). */
export function documentProblem(document: string): Failure | undefined {
  let parsed: { Statement?: Statement | Statement[] };
  try {
    parsed = JSON.parse(document);
  } catch {
    return malformed("Syntax errors in policy.");
  }
  const statements = [parsed.Statement ?? []].flat();
  // IAM JSON policy elements: Sid — "The Sid element supports ASCII uppercase letters (A-Z), lowercase letters
  // (a-z), and numbers (0-9)" and "must be unique within a policy"
  // (https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_sid.html).
  const sids = statements.map((s) => s.Sid).filter((sid) => sid !== undefined);
  if (sids.some((sid) => typeof sid !== "string" || !/^[0-9A-Za-z]*$/.test(sid))) {
    return malformed(
      "Statement IDs (SID) must be alpha-numeric. Check that your input satisfies the regular expression [0-9A-Za-z]*",
    );
  }
  if (new Set(sids).size !== sids.length) return malformed("Statement IDs (SID) in a single policy must be unique.");
  return undefined;
}

/** PutRolePolicy over the role's aggregate quota: 409 LimitExceeded (the SDK's LimitExceededException). */
export function sizeProblem(
  role: string,
  policies: Map<string, string>,
  name: string,
  document: string,
): Failure | undefined {
  let total = policySize(document);
  for (const [other, text] of policies) if (other !== name) total += policySize(text);
  if (total <= ROLE_INLINE_POLICY_LIMIT) return undefined;
  return {
    status: 409,
    code: "LimitExceeded",
    message: `Maximum policy size of ${ROLE_INLINE_POLICY_LIMIT} bytes exceeded for role ${role}`,
  };
}

const values = (v: string | string[] | undefined): string[] | undefined => (v === undefined ? undefined : [v].flat());

/**
 * Does this deny statement match the session's requests at `at`? Evaluated as IAM does for the revoke
 * pattern (https://docs.aws.amazon.com/IAM/latest/UserGuide/id_roles_use_revoke-sessions.html): keys inside one
 * operator are ANDed, and several values of one key are ORed
 * (https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_condition-logic-multiple-context-keys-or-values.html).
 */
export function denies(statement: Statement, session: FakeSession, at: Date): boolean {
  if (statement.Effect !== "Deny") return false;
  const before = values(statement.Condition?.DateLessThan?.["aws:TokenIssueTime"]);
  const until = values(statement.Condition?.DateLessThan?.["aws:CurrentTime"]);
  const identities = values(statement.Condition?.StringEquals?.["aws:SourceIdentity"]);
  // TokenIssueTime has whole seconds.
  const issued = Math.floor(session.issuedAt.getTime() / 1000) * 1000;
  if (before && !before.some((t) => issued < Date.parse(t))) return false;
  if (until && !until.some((t) => at.getTime() < Date.parse(t))) return false;
  return identities === undefined || identities.includes(session.sourceIdentity ?? "");
}

/** One put or delete of a role policy, kept so that a propagation delay can be simulated. */
export interface PolicyVersion {
  at: number;
  document: string | undefined;
}

/**
 * What the role's policy says for requests at `at` when changes take `delayMs` to apply: "It might take a few
 * minutes for policy updates to take effect"
 * (https://docs.aws.amazon.com/IAM/latest/UserGuide/id_credentials_temp_control-access_disable-perms.html).
 */
export function effectiveDocument(history: PolicyVersion[], at: Date, delayMs: number): string | undefined {
  let current: string | undefined;
  for (const version of history) if (version.at + delayMs <= at.getTime()) current = version.document;
  return current;
}

export function statementsOf(document: string): Statement[] {
  return [JSON.parse(document).Statement ?? []].flat();
}
