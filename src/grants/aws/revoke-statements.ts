import { STS_MAX_SECONDS } from "./options.js";

/**
 * The statements of jitbot's revoke policy, as pure functions over the policy document.
 *
 * AWS's documented way to end role sessions early is a deny on `aws:TokenIssueTime` ("Revoking IAM role
 * temporary security credentials"). jitbot narrows it to people with `aws:SourceIdentity` and bounds it in
 * time with `aws:CurrentTime`, so a statement stops applying when the last session it was written for ends.
 * Statements share a cut-off where that is exact, so one statement carries many people and the role's
 * 10,240-character inline policy quota holds hundreds of revokes instead of about 44.
 */
export const SID_PREFIX = "JitbotRevoke";

/** How far jitbot's clock may be from AWS's before a statement is pruned too early. */
export const CLOCK_SKEW_MS = 5 * 60_000;

export interface DenyStatement {
  Sid: string;
  Effect: "Deny";
  Action: "*";
  Resource: "*";
  Condition: {
    DateLessThan: { "aws:TokenIssueTime": string; "aws:CurrentTime"?: string };
    StringEquals: { "aws:SourceIdentity": string | string[] };
  };
}

/** One STS session jitbot issued and now wants denied: who, when STS issued it, when it ends by itself. */
export interface SessionToDeny {
  identity: string;
  issuedAt: Date;
  endsAt: Date;
}

const iso = (date: Date): string => date.toISOString().replace(/\.\d{3}Z$/, "Z");

/** The start of the next whole second: TokenIssueTime has whole seconds, so this catches that second too. */
function nextSecond(date: Date): Date {
  return new Date(Math.floor(date.getTime() / 1000) * 1000 + 1000);
}

/** The cut-off for "sessions issued before now", the latest a revoke at `now` may use. */
export function revokeCutoff(now: Date): Date {
  return nextSecond(now);
}

/** A statement denying `identities`' sessions issued before `cutoff`, while AWS's clock is before `keepUntil`. */
export function denyStatement(identities: string | string[], cutoff: Date, keepUntil?: Date): DenyStatement {
  const list = [identities].flat();
  return {
    // Sids are alphanumeric only; the cut-off is unique per statement, so it names it.
    Sid: `${SID_PREFIX}${iso(cutoff).replace(/[^0-9TZ]/g, "")}`,
    Effect: "Deny",
    Action: "*",
    Resource: "*",
    Condition: {
      DateLessThan: {
        "aws:TokenIssueTime": iso(cutoff),
        ...(keepUntil ? { "aws:CurrentTime": iso(keepUntil) } : {}),
      },
      StringEquals: { "aws:SourceIdentity": list.length === 1 ? (list[0] ?? "") : list },
    },
  };
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

export function identitiesOf(statement: DenyStatement): string[] {
  return [statement.Condition.StringEquals?.["aws:SourceIdentity"] ?? []].flat();
}

export function cutoffOf(statement: DenyStatement): Date {
  return new Date(Date.parse(statement.Condition.DateLessThan["aws:TokenIssueTime"]));
}

/**
 * Until when a statement can matter: its `aws:CurrentTime` bound, or for statements written before jitbot set
 * one, 12 h (STS's longest session) after its cut-off.
 */
export function keepUntilOf(statement: DenyStatement): Date {
  const until = statement.Condition.DateLessThan["aws:CurrentTime"];
  const parsed = until === undefined ? Number.NaN : Date.parse(until);
  return new Date(Number.isNaN(parsed) ? cutoffOf(statement).getTime() + STS_MAX_SECONDS * 1000 : parsed);
}

/** Keeps foreign statements, and jitbot's own while a session they deny can still be alive. */
export function withoutStale(statements: unknown[], now: Date): unknown[] {
  return statements.filter((s) => !isJitbotStatement(s) || keepUntilOf(s).getTime() + CLOCK_SKEW_MS > now.getTime());
}

/** Does this statement deny the session (at a time when the statement still applies)? */
export function coversSession(statement: unknown, session: SessionToDeny): boolean {
  return (
    isJitbotStatement(statement) &&
    identitiesOf(statement).includes(session.identity) &&
    Math.floor(session.issuedAt.getTime() / 1000) * 1000 < cutoffOf(statement).getTime() &&
    keepUntilOf(statement).getTime() >= session.endsAt.getTime()
  );
}

/**
 * Adds the session's deny and drops stale statements. A cut-off C is right for the session when it is after
 * the session's issue (so the session is denied) and not after the revoke (so nothing issued later is): a
 * statement whose cut-off lies in that window takes the person into its list, and only when none does is a
 * new statement written, cut at the revoke. Statements jitbot did not write are kept untouched.
 */
export function mergeDenyStatements(
  existing: unknown[],
  session: SessionToDeny,
  now: Date,
): { statements: unknown[]; statement: DenyStatement; removedStale: number } {
  const fresh = withoutStale(existing, now);
  const removedStale = existing.length - fresh.length;
  const earliest = nextSecond(session.issuedAt).getTime();
  const latest = Math.max(revokeCutoff(now).getTime(), earliest);
  const fits = (s: DenyStatement) => {
    const cutoff = cutoffOf(s).getTime();
    return cutoff >= earliest && cutoff <= latest;
  };
  const host = fresh.filter(isJitbotStatement).find(fits);
  const statement = host
    ? denyStatement(
        [...new Set([...identitiesOf(host), session.identity])],
        cutoffOf(host),
        new Date(Math.max(keepUntilOf(host).getTime(), session.endsAt.getTime())),
      )
    : denyStatement(session.identity, new Date(latest), session.endsAt);
  const others = fresh.filter((s) => s !== host);
  const ours = [...others.filter(isJitbotStatement), statement].sort(
    (a, b) => cutoffOf(a).getTime() - cutoffOf(b).getTime(),
  );
  return { statements: [...others.filter((s) => !isJitbotStatement(s)), ...ours], statement, removedStale };
}
