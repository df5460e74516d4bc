import {
  DeleteRolePolicyCommand,
  GetRolePolicyCommand,
  type IAMClient,
  PutRolePolicyCommand,
} from "@aws-sdk/client-iam";
import type { KeyedLock } from "../concurrency.js";
import { isProviderError, ProviderError } from "../errors.js";
import { isAwsError, toProviderError } from "./errors.js";
import { type DenyStatement, mergeDenyStatements, type SessionToDeny, withoutStale } from "./revoke-statements.js";
import { roleNameOf } from "./validate.js";

export {
  coversSession,
  type DenyStatement,
  denyStatement,
  isJitbotStatement,
  mergeDenyStatements,
  revokeCutoff,
  type SessionToDeny,
  withoutStale,
} from "./revoke-statements.js";

/** The one inline policy jitbot owns on each target role. */
export const REVOKE_POLICY_NAME = "jitbot-revoked-sessions";

interface PolicyDocument {
  Version: "2012-10-17";
  Statement: unknown[];
}

/** Reads the role's jitbot policy; IAM returns the document URL-encoded (RFC 3986). */
export async function readStatements(iam: IAMClient, roleName: string): Promise<unknown[]> {
  try {
    const answer = await iam.send(new GetRolePolicyCommand({ RoleName: roleName, PolicyName: REVOKE_POLICY_NAME }));
    const document: unknown = JSON.parse(decodeURIComponent(answer.PolicyDocument ?? "{}"));
    const statements = (document as { Statement?: unknown }).Statement;
    return Array.isArray(statements) ? statements : statements ? [statements] : [];
  } catch (error) {
    if (isAwsError(error, "NoSuchEntity", "NoSuchEntityException")) return [];
    throw error;
  }
}

/**
 * The read-modify-write of one role's policy runs alone for that role: two revokes at once (on this
 * replica or another) would each read the old document and the later write would drop the other's
 * deny. A lock that fails for its own reason (its wait ran out) becomes a retryable provider error.
 */
async function withRoleLock<T>(lock: KeyedLock, roleArn: string, work: () => Promise<T>): Promise<T> {
  try {
    return await lock(`aws-role-policy:${roleArn}`, work);
  } catch (error) {
    if (isProviderError(error)) throw error;
    throw new ProviderError(
      "UNAVAILABLE",
      `Another revoke is still editing the ${REVOKE_POLICY_NAME} policy of ${roleArn}; jitbot tries again.`,
      { cause: error },
    );
  }
}

/** Whitespace-free JSON: IAM does not count whitespace against the quota, and this keeps the document small. */
function documentOf(statements: unknown[]): string {
  const document: PolicyDocument = { Version: "2012-10-17", Statement: statements };
  return JSON.stringify(document);
}

/**
 * Denies the session's AWS API calls from now until it ends by itself (and every earlier session of the same
 * person on the role). Returns the statement that now covers it.
 */
export function denySessionsIssuedBefore(
  iam: IAMClient,
  roleArn: string,
  session: SessionToDeny,
  now: Date,
  lock: KeyedLock,
): Promise<{ statement: DenyStatement; removedStale: number }> {
  return withRoleLock(lock, roleArn, async () => {
    const roleName = roleNameOf(roleArn);
    try {
      const existing = await readStatements(iam, roleName);
      const { statements, statement, removedStale } = mergeDenyStatements(existing, session, now);
      await iam.send(
        new PutRolePolicyCommand({
          RoleName: roleName,
          PolicyName: REVOKE_POLICY_NAME,
          PolicyDocument: documentOf(statements),
        }),
      );
      return { statement, removedStale };
    } catch (error) {
      throw toProviderError(error, { kind: "role-policy", roleArn });
    }
  });
}

/** Removes stale statements only (no new deny); deletes the policy once nothing is left in it. */
export function pruneStaleDenies(iam: IAMClient, roleArn: string, now: Date, lock: KeyedLock): Promise<number> {
  return withRoleLock(lock, roleArn, async () => {
    const roleName = roleNameOf(roleArn);
    try {
      const existing = await readStatements(iam, roleName);
      const kept = withoutStale(existing, now);
      if (kept.length === existing.length) return 0;
      if (kept.length === 0) {
        await iam.send(new DeleteRolePolicyCommand({ RoleName: roleName, PolicyName: REVOKE_POLICY_NAME }));
      } else {
        await iam.send(
          new PutRolePolicyCommand({
            RoleName: roleName,
            PolicyName: REVOKE_POLICY_NAME,
            PolicyDocument: documentOf(kept),
          }),
        );
      }
      return existing.length - kept.length;
    } catch (error) {
      if (isAwsError(error, "NoSuchEntity", "NoSuchEntityException")) return 0;
      throw toProviderError(error, { kind: "role-policy", roleArn });
    }
  });
}
