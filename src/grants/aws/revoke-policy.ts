import { createHash } from "node:crypto";
import {
  DeleteRolePolicyCommand,
  GetRolePolicyCommand,
  type IAMClient,
  PutRolePolicyCommand,
} from "@aws-sdk/client-iam";
import { isAwsError, toProviderError } from "./errors.js";
import { STS_MAX_SECONDS } from "./options.js";
import { roleNameOf } from "./validate.js";

/** The one inline policy jitbot owns on each target role. */
export const REVOKE_POLICY_NAME = "jitbot-revoked-sessions";
const SID_PREFIX = "JitbotRevoke";

export interface DenyStatement {
  Sid: string;
  Effect: "Deny";
  Action: "*";
  Resource: "*";
  Condition: {
    DateLessThan: { "aws:TokenIssueTime": string };
    StringEquals: { "aws:SourceIdentity": string };
  };
}

interface PolicyDocument {
  Version: "2012-10-17";
  Statement: unknown[];
}

/**
 * The cut-off for "sessions issued before now". TokenIssueTime has whole seconds, so the cut-off is
 * the start of the next second: a session issued in the very second of the revoke is caught too.
 */
export function revokeCutoff(now: Date): Date {
  return new Date(Math.floor(now.getTime() / 1000) * 1000 + 1000);
}

/** AWS's "revoke older sessions" statement, narrowed to one person's sessions by SourceIdentity. */
export function denyStatement(identity: string, cutoff: Date): DenyStatement {
  // Sids are alphanumeric only; a hash keeps one stable Sid per person without leaking the email twice.
  const sid = `${SID_PREFIX}${createHash("sha256").update(identity).digest("hex").slice(0, 16)}`;
  return {
    Sid: sid,
    Effect: "Deny",
    Action: "*",
    Resource: "*",
    Condition: {
      DateLessThan: { "aws:TokenIssueTime": cutoff.toISOString().replace(/\.\d{3}Z$/, "Z") },
      StringEquals: { "aws:SourceIdentity": identity },
    },
  };
}

/**
 * Adds (or moves forward) the person's statement and drops statements whose sessions can no longer
 * be alive: every session ends within 12 h of its issue, so a cut-off older than that denies nothing.
 * Statements jitbot did not write are kept untouched.
 */
export function mergeDenyStatements(
  existing: unknown[],
  added: DenyStatement,
  now: Date,
): { statements: unknown[]; removedStale: number } {
  const others = existing.filter((statement) => !(isJitbotStatement(statement) && statement.Sid === added.Sid));
  const fresh = withoutStale(others, now);
  return { statements: [...fresh, added], removedStale: others.length - fresh.length };
}

/** Keeps foreign statements, and jitbot's own whose cut-off is less than 12 h old. */
export function withoutStale(statements: unknown[], now: Date): unknown[] {
  const staleBefore = now.getTime() - STS_MAX_SECONDS * 1000;
  return statements.filter(
    (s) => !isJitbotStatement(s) || Date.parse(s.Condition.DateLessThan["aws:TokenIssueTime"]) > staleBefore,
  );
}

export function isJitbotStatement(statement: unknown): statement is DenyStatement {
  if (typeof statement !== "object" || statement === null) return false;
  const candidate = statement as Partial<DenyStatement>;
  return (
    typeof candidate.Sid === "string" &&
    candidate.Sid.startsWith(SID_PREFIX) &&
    typeof candidate.Condition?.DateLessThan?.["aws:TokenIssueTime"] === "string"
  );
}

/** Reads the role's jitbot policy; IAM returns the document URL-encoded (RFC 3986). */
async function readStatements(iam: IAMClient, roleName: string): Promise<unknown[]> {
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

/** Serialises read-modify-write of one role's policy inside this process (revokes can overlap). */
const roleLocks = new Map<string, Promise<unknown>>();

function withRoleLock<T>(roleArn: string, work: () => Promise<T>): Promise<T> {
  const previous = roleLocks.get(roleArn) ?? Promise.resolve();
  const next = previous.then(work, work);
  const settled = next.catch(() => undefined);
  roleLocks.set(roleArn, settled);
  void settled.then(() => {
    if (roleLocks.get(roleArn) === settled) roleLocks.delete(roleArn);
  });
  return next;
}

/** Denies every session of `identity` on the role issued up to now. Returns the statement written. */
export function denySessionsIssuedBefore(
  iam: IAMClient,
  roleArn: string,
  identity: string,
  now: Date,
): Promise<{ statement: DenyStatement; removedStale: number }> {
  return withRoleLock(roleArn, async () => {
    const roleName = roleNameOf(roleArn);
    try {
      const existing = await readStatements(iam, roleName);
      const statement = denyStatement(identity, revokeCutoff(now));
      const { statements, removedStale } = mergeDenyStatements(existing, statement, now);
      const document: PolicyDocument = { Version: "2012-10-17", Statement: statements };
      await iam.send(
        new PutRolePolicyCommand({
          RoleName: roleName,
          PolicyName: REVOKE_POLICY_NAME,
          PolicyDocument: JSON.stringify(document),
        }),
      );
      return { statement, removedStale };
    } catch (error) {
      throw toProviderError(error, { kind: "role-policy", roleArn });
    }
  });
}

/** Removes stale statements only (no new deny); deletes the policy once nothing is left in it. */
export function pruneStaleDenies(iam: IAMClient, roleArn: string, now: Date): Promise<number> {
  return withRoleLock(roleArn, async () => {
    const roleName = roleNameOf(roleArn);
    try {
      const existing = await readStatements(iam, roleName);
      const kept = withoutStale(existing, now);
      if (kept.length === existing.length) return 0;
      if (kept.length === 0) {
        await iam.send(new DeleteRolePolicyCommand({ RoleName: roleName, PolicyName: REVOKE_POLICY_NAME }));
      } else {
        const document = JSON.stringify({ Version: "2012-10-17", Statement: kept });
        await iam.send(
          new PutRolePolicyCommand({ RoleName: roleName, PolicyName: REVOKE_POLICY_NAME, PolicyDocument: document }),
        );
      }
      return existing.length - kept.length;
    } catch (error) {
      if (isAwsError(error, "NoSuchEntity", "NoSuchEntityException")) return 0;
      throw toProviderError(error, { kind: "role-policy", roleArn });
    }
  });
}
