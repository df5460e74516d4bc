import { DescribeAccessEntryCommand, type EKSClient, ListAssociatedAccessPoliciesCommand } from "@aws-sdk/client-eks";
import { GetRolePolicyCommand, type IAMClient } from "@aws-sdk/client-iam";
import type { ReadBack } from "../provider.js";
import { MANAGED_BY } from "./access-entry-orphans.js";
import { type AwsAction, isAwsError, toProviderError } from "./errors.js";
import { STS_MIN_SECONDS } from "./options.js";
import { REVOKE_POLICY_NAME } from "./revoke-policy.js";
import { coversSession, isJitbotStatement } from "./revoke-statements.js";
import { roleNameOf } from "./validate.js";

const gone = (detail: string): ReadBack => ({ status: "gone", detail });
const present = (detail: string): ReadBack => ({ status: "present", detail });

export interface EntryTarget {
  eks: EKSClient;
  clusterName: string;
  principalArn: string;
  policyArn: string;
  /** The entry was there before jitbot (standing access): only jitbot's policy association went. */
  standingEntry: boolean;
  action: AwsAction;
}

/**
 * eks-access-entry: DescribeAccessEntry answers ResourceNotFoundException once the entry is deleted.
 * For a standing entry, the policy association jitbot added is no longer listed.
 */
export async function readBackAccessEntry(target: EntryTarget): Promise<ReadBack> {
  const { eks, clusterName, principalArn, policyArn } = target;
  try {
    if (target.standingEntry) {
      let nextToken: string | undefined;
      do {
        const page = await eks.send(new ListAssociatedAccessPoliciesCommand({ clusterName, principalArn, nextToken }));
        if ((page.associatedAccessPolicies ?? []).some((p) => p.policyArn === policyArn)) {
          return present(`the standing access entry of ${principalArn} on ${clusterName} has ${policyArn}`);
        }
        nextToken = page.nextToken;
      } while (nextToken);
      return gone(`the standing access entry of ${principalArn} on ${clusterName} no longer has ${policyArn}`);
    }
    const answer = await eks.send(new DescribeAccessEntryCommand({ clusterName, principalArn }));
    // An entry someone else made since is theirs to answer for; the revoke leaves it alone too.
    if (answer.accessEntry?.tags?.[MANAGED_BY.key] !== MANAGED_BY.value) {
      return gone(`no jitbot access entry of ${principalArn} on ${clusterName} (one not made by jitbot exists)`);
    }
    return present(`jitbot's access entry of ${principalArn} on ${clusterName} exists`);
  } catch (error) {
    if (isAwsError(error, "ResourceNotFoundException")) {
      return gone(`EKS has no access entry of ${principalArn} on ${clusterName}`);
    }
    throw toProviderError(error, target.action);
  }
}

/**
 * When the session was issued (its aws:TokenIssueTime). Recorded at issue; for a grant stored before
 * that, STS's 15-minute floor bounds it: a session ends at least 15 minutes after its issue.
 */
export function sessionIssuedAt(state: Record<string, unknown>): number | undefined {
  if (typeof state.sessionIssuedAt === "string") return Date.parse(state.sessionIssuedAt);
  if (typeof state.sessionExpiresAt === "string") return Date.parse(state.sessionExpiresAt) - STS_MIN_SECONDS * 1000;
  return undefined;
}

/**
 * aws-role with revokeSessions: GetRolePolicy shows jitbot's policy with a statement that denies
 * everything to this SourceIdentity for tokens issued before a cut-off later than the session's
 * issue time. A statement narrowed by any other condition does not count.
 */
export async function readBackDeny(
  iam: IAMClient,
  roleArn: string,
  identity: string,
  issuedAt: number,
  /** When the session ends: a statement that stops applying before then does not cover it. */
  endsAt = Number.POSITIVE_INFINITY,
): Promise<ReadBack> {
  let statements: unknown[];
  try {
    const answer = await iam.send(
      new GetRolePolicyCommand({ RoleName: roleNameOf(roleArn), PolicyName: REVOKE_POLICY_NAME }),
    );
    // IAM returns the document URL-encoded (RFC 3986), as the GetRolePolicy reference says.
    const document: unknown = JSON.parse(decodeURIComponent(answer.PolicyDocument ?? "{}"));
    statements = [(document as { Statement?: unknown }).Statement ?? []].flat();
  } catch (error) {
    if (isAwsError(error, "NoSuchEntity", "NoSuchEntityException")) {
      return present(`${roleArn} has no ${REVOKE_POLICY_NAME} policy, so the session of ${identity} is not denied`);
    }
    throw toProviderError(error, { kind: "role-policy", roleArn });
  }
  const session = { identity, issuedAt: new Date(issuedAt), endsAt: new Date(endsAt) };
  const denies = (s: unknown) =>
    isJitbotStatement(s)
      ? Number.isFinite(issuedAt) && coversSession(s, session)
      : deniesSession(s, identity, issuedAt);
  return statements.some(denies)
    ? gone(`${REVOKE_POLICY_NAME} on ${roleArn} denies the session of ${identity}`)
    : present(`no statement of ${REVOKE_POLICY_NAME} on ${roleArn} denies the session of ${identity}`);
}

const includesAll = (value: unknown) => value === "*" || (Array.isArray(value) && value.includes("*"));
const includes = (value: unknown, wanted: string) =>
  value === wanted || (Array.isArray(value) && value.includes(wanted));

/** Statements written before they carried their own end (aws:CurrentTime): cut-off and identity only. */
function deniesSession(statement: unknown, identity: string, issuedAt: number): boolean {
  if (typeof statement !== "object" || statement === null) return false;
  const s = statement as { Effect?: unknown; Action?: unknown; Resource?: unknown; Condition?: unknown };
  if (s.Effect !== "Deny" || !includesAll(s.Action) || !includesAll(s.Resource)) return false;
  const condition = (s.Condition ?? {}) as Record<string, Record<string, unknown> | undefined>;
  const operators = Object.keys(condition);
  if (operators.some((op) => op !== "DateLessThan" && op !== "StringEquals")) return false;
  const before = condition.DateLessThan?.["aws:TokenIssueTime"];
  if (typeof before !== "string" || !(Date.parse(before) > issuedAt)) return false;
  const keys = { ...condition.DateLessThan, ...condition.StringEquals };
  if (Object.keys(keys).some((key) => key !== "aws:TokenIssueTime" && key !== "aws:SourceIdentity")) return false;
  // No SourceIdentity condition: the statement denies every session of the role, this one included.
  const who = condition.StringEquals?.["aws:SourceIdentity"];
  return who === undefined || includes(who, identity);
}
