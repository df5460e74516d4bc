import { randomBytes } from "node:crypto";
import { constraintMessage, type Failure } from "./aws-wire.js";

/**
 * The fake STS AssumeRole: every rule below is one the real service enforces, citing its page.
 * AssumeRole API reference: https://docs.aws.amazon.com/STS/latest/APIReference/API_AssumeRole.html
 */
export interface FakeSession {
  accessKeyId: string;
  secretAccessKey: string;
  sessionToken: string;
  roleArn: string;
  roleSessionName: string;
  sourceIdentity: string | undefined;
  externalId: string | undefined;
  tags: Record<string, string>;
  durationSeconds: number;
  issuedAt: Date;
  expiresAt: Date;
}

export interface AssumeRoleContext {
  /** MaxSessionDuration (seconds) by role ARN. */
  roleMaxSessionDuration: Map<string, number>;
  /** The caller signed with temporary credentials (an X-Amz-Security-Token): AssumeRole is then role chaining. */
  callerIsSession: boolean;
  now: Date;
}

/**
 * "If you do not specify a value for this setting, the default value of one hour is applied. This setting
 * can have a value from 1 hour to 12 hours." (IAM CreateRole, MaxSessionDuration:
 * https://docs.aws.amazon.com/IAM/latest/APIReference/API_CreateRole.html)
 */
export const DEFAULT_ROLE_MAX_SESSION_SECONDS = 3600;

/** RoleSessionName and SourceIdentity: "Length Constraints: Minimum length of 2. Maximum length of 64. Pattern: [\w+=,.@-]*". */
const STS_NAME = /^[\w+=,.@-]*$/;
/** ExternalId: "Minimum length of 2. Maximum length of 1224. Pattern: [\w+=,.@:\/-]*". */
const EXTERNAL_ID = /^[\w+=,.@:/-]*$/;
/** Tag Key "Pattern: [\p{L}\p{Z}\p{N}_.:/=+\-@]+", Value "[\p{L}\p{Z}\p{N}_.:/=+\-@]*" (https://docs.aws.amazon.com/STS/latest/APIReference/API_Tag.html). */
const TAG_TEXT = /^[\p{L}\p{Z}\p{N}_.:/=+\-@]*$/u;

function invalid(value: string, field: string, constraint: string): Failure {
  return { status: 400, code: "ValidationError", message: constraintMessage(value, field, constraint) };
}

function nameProblem(value: string, field: string): Failure | undefined {
  if (value.length < 2) return invalid(value, field, "Member must have length greater than or equal to 2");
  if (value.length > 64) return invalid(value, field, "Member must have length less than or equal to 64");
  if (!STS_NAME.test(value)) {
    return invalid(value, field, "Member must satisfy regular expression pattern: [\\w+=,.@-]*");
  }
  return undefined;
}

function tagsOf(p: Record<string, string>): { key: string; value: string }[] {
  const tags: { key: string; value: string }[] = [];
  for (let i = 1; p[`Tags.member.${i}.Key`] !== undefined; i++) {
    tags.push({ key: p[`Tags.member.${i}.Key`] ?? "", value: p[`Tags.member.${i}.Value`] ?? "" });
  }
  return tags;
}

function tagProblem(tags: { key: string; value: string }[]): Failure | undefined {
  // "You can pass up to 50 session tags." (AssumeRole, Tags; IAM user guide "Passing session tags in AWS STS")
  if (tags.length > 50) return invalid("[…]", "tags", "Member must have length less than or equal to 50");
  for (const [i, { key, value }] of tags.entries()) {
    const field = `tags.${i + 1}.member`;
    // API_Tag: Key "Minimum length of 1. Maximum length of 128"; Value "Minimum length of 0. Maximum length of 256".
    if (key.length < 1 || key.length > 128) {
      return invalid(key, `${field}.key`, "Member must have length less than or equal to 128");
    }
    if (!TAG_TEXT.test(key)) {
      return invalid(
        key,
        `${field}.key`,
        "Member must satisfy regular expression pattern: [\\p{L}\\p{Z}\\p{N}_.:/=+\\-@]+",
      );
    }
    if (value.length > 256) {
      return invalid(value, `${field}.value`, "Member must have length less than or equal to 256");
    }
    if (!TAG_TEXT.test(value)) {
      return invalid(
        value,
        `${field}.value`,
        "Member must satisfy regular expression pattern: [\\p{L}\\p{Z}\\p{N}_.:/=+\\-@]*",
      );
    }
  }
  return undefined;
}

/** Validates an AssumeRole request as STS does and issues the session, or answers STS's refusal. */
export function assumeRole(p: Record<string, string>, ctx: AssumeRoleContext): FakeSession | Failure {
  const roleArn = p.RoleArn ?? "";
  const nameFailure = nameProblem(p.RoleSessionName ?? "", "roleSessionName");
  if (nameFailure) return nameFailure;
  if (p.SourceIdentity !== undefined) {
    const identityFailure = nameProblem(p.SourceIdentity, "sourceIdentity");
    if (identityFailure) return identityFailure;
    // SourceIdentity: "You cannot use a value that begins with the text aws:. This prefix is reserved for AWS internal use."
    if (p.SourceIdentity.toLowerCase().startsWith("aws:")) {
      return invalid(p.SourceIdentity, "sourceIdentity", "Member must not begin with aws:");
    }
  }
  const externalId = p.ExternalId;
  if (
    externalId !== undefined &&
    (externalId.length < 2 || externalId.length > 1224 || !EXTERNAL_ID.test(externalId))
  ) {
    return invalid(externalId, "externalId", "Member must satisfy regular expression pattern: [\\w+=,.@:\\/-]*");
  }
  const tags = tagsOf(p);
  const tagFailure = tagProblem(tags);
  if (tagFailure) return tagFailure;

  // DurationSeconds: "Minimum value of 900. Maximum value of 43200." By default, the value is set to 3600 seconds.
  const duration = Number(p.DurationSeconds ?? 3600);
  if (!Number.isInteger(duration) || duration < 900 || duration > 43200) {
    return invalid(String(p.DurationSeconds), "durationSeconds", "Member must have value between 900 and 43200");
  }
  // "if you assume a role using role chaining and provide a DurationSeconds parameter value greater than one
  // hour, the operation fails." Message as in https://repost.aws/knowledge-center/iam-role-chaining-limit.
  if (ctx.callerIsSession && duration > 3600) {
    return {
      status: 400,
      code: "ValidationError",
      message: "The requested DurationSeconds exceeds the 1 hour session limit for roles assumed by role chaining.",
    };
  }
  // "If you specify a value higher than this setting or the administrator setting (whichever is lower), the
  // operation fails." The role's MaxSessionDuration defaults to 1 hour (CreateRole, above).
  if (duration > (ctx.roleMaxSessionDuration.get(roleArn) ?? DEFAULT_ROLE_MAX_SESSION_SECONDS)) {
    return {
      status: 400,
      code: "ValidationError",
      message: "The requested DurationSeconds exceeds the MaxSessionDuration set for this role.",
    };
  }

  const issuedAt = ctx.now;
  return {
    accessKeyId: `ASIA${randomBytes(8).toString("hex").toUpperCase()}`,
    secretAccessKey: randomBytes(30).toString("base64"),
    // Real tokens are long base64 blobs; keep it on one line, as STS does.
    sessionToken: `FwoGZXIvYXdzE${randomBytes(240).toString("base64")}`,
    roleArn,
    roleSessionName: p.RoleSessionName ?? "",
    sourceIdentity: p.SourceIdentity,
    externalId,
    tags: Object.fromEntries(tags.map(({ key, value }) => [key, value])),
    durationSeconds: duration,
    issuedAt,
    expiresAt: new Date(Math.floor(issuedAt.getTime() / 1000) * 1000 + duration * 1000),
  };
}

export function isFailure(value: FakeSession | Failure): value is Failure {
  return "code" in value;
}
