import { formatDuration } from "../../config/duration.js";
import type { Profile } from "../../config/schema.js";
import type { GrantSubject } from "../provider.js";
import {
  type AwsRoleOptions,
  DEFAULT_MAX_SESSION_SECONDS,
  type EksAccessEntryOptions,
  STS_MAX_SECONDS,
  STS_MIN_SECONDS,
} from "./options.js";

/** RoleSessionName and SourceIdentity: 2-64 characters of [\w+=,.@-] (STS API reference). */
const STS_NAME_INVALID = /[^\w+=,.@-]/g;
const STS_NAME = /^[\w+=,.@-]{2,64}$/;

/**
 * Makes an STS name from what Slack knows about a person: invalid characters become "-", the result
 * is cut to 64 and padded to 2, so a name like "Zoë O'Brien" still yields a valid session.
 */
export function sanitizeStsName(raw: string, fallback = "jitbot"): string {
  let name = raw.trim().replace(STS_NAME_INVALID, "-").slice(0, 64);
  // SourceIdentity may not start with "aws:"; ":" is already replaced, so only pad short names.
  if (name.length < 2) name = `${name}${fallback}`.replace(STS_NAME_INVALID, "-").slice(0, 64);
  if (name.length < 2) name = "jitbot";
  return name;
}

export function isValidStsName(name: string): boolean {
  return STS_NAME.test(name);
}

/** The session name CloudTrail and `{{SessionName}}` in aws-auth show: the requester's email. */
export function roleSessionName(subject: GrantSubject): string {
  return sanitizeStsName(subject.email || subject.name, subject.slackUserId);
}

/** SourceIdentity names the human in CloudTrail and is what the revoke deny policy matches on. */
export function sourceIdentity(subject: GrantSubject): string {
  return sanitizeStsName(subject.email || subject.slackUserId, subject.slackUserId);
}

/** Session tag values allow letters, digits, spaces and _.:/=+-@ up to 256 characters. */
export function sanitizeTagValue(raw: string): string {
  return raw.replace(/[^\p{L}\p{Z}\p{N}_.:/=+\-@]/gu, "_").slice(0, 256);
}

export function maxSessionSeconds(options: AwsRoleOptions): number {
  return Math.min(
    Math.max(options.maxSessionDuration ?? DEFAULT_MAX_SESSION_SECONDS, STS_MIN_SECONDS),
    STS_MAX_SECONDS,
  );
}

/**
 * How long the next STS session may be: what is left of the grant, capped by the role's maximum,
 * and never below STS's 15-minute floor. The floor is why a session can outlive a short grant.
 */
export function sessionSeconds(options: AwsRoleOptions, remainingSeconds: number): number {
  const wanted = Math.floor(remainingSeconds);
  return Math.min(Math.max(wanted, STS_MIN_SECONDS), maxSessionSeconds(options));
}

/**
 * The request-time rule. Long grants are fine: the first session is one role maximum long and the
 * person refreshes while the grant lasts. What is really impossible is a grant shorter than STS's
 * 15-minute minimum session: the keys would outlive the approval. Not even `revokeSessions` helps
 * there, because EKS signs people in with sts:GetCallerIdentity, which no deny policy can block.
 */
export function checkAwsRoleRequest(profile: Profile, durationSeconds: number): string | undefined {
  if (profile.grant.type !== "aws-role" || durationSeconds >= STS_MIN_SECONDS) return undefined;
  return (
    `AWS cannot issue credentials for less than 15 minutes, so a ${formatDuration(durationSeconds)} grant of ` +
    `${profile.id} would outlive its approval; ask for at least 15m.`
  );
}

/** Fills `{email}` and `{user}` (the email's local part) in an access entry's principal ARN. */
export function principalArnFor(options: EksAccessEntryOptions, subject: GrantSubject): string {
  const email = subject.email.trim();
  const user = email.split("@")[0] ?? "";
  return options.principalArn.replaceAll("{email}", email).replaceAll("{user}", user);
}

const RESOLVED_PRINCIPAL = /^arn:aws[a-z-]*:iam::\d{12}:(role|user)\/[\w+=,.@/-]{1,512}$/;

export function isValidPrincipalArn(arn: string): boolean {
  return RESOLVED_PRINCIPAL.test(arn);
}

/** "role/EKS-Pod-Manager" → "EKS-Pod-Manager": IAM APIs take the name, not the ARN. */
export function roleNameOf(roleArn: string): string {
  return roleArn.slice(roleArn.lastIndexOf("/") + 1);
}
