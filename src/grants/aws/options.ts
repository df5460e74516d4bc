import { z } from "zod";
import { durationSchema } from "../../config/zod-helpers.js";

/**
 * STS issues sessions of 15 minutes (DurationSeconds' minimum) to 12 hours. A role's own MaxSessionDuration is
 * 1 to 12 hours (IAM default 1 h), and a session assumed from another role session (role chaining) lasts at
 * most 1 hour whatever the role says.
 */
export const STS_MIN_SECONDS = 900;
export const STS_MAX_SECONDS = 43_200;
export const DEFAULT_MAX_SESSION_SECONDS = 3_600;

/** Tags jitbot sets itself on every session; an operator's static tags may not reuse them. */
export const RESERVED_TAG_KEYS = ["jit-request-id", "jit-requester"];

const roleArn = z.string().regex(/^arn:aws[a-z-]*:iam::\d{12}:role\/[\w+=,.@/-]{1,512}$/, {
  message: "must be an IAM role ARN (arn:aws:iam::123456789012:role/Name)",
});

const TAG_TEXT = /^[\p{L}\p{Z}\p{N}_.:/=+\-@]*$/u;

/** Why a session tag key is refused, or undefined; checked per key so the error names it. */
function tagKeyProblem(key: string): string | undefined {
  if (!TAG_TEXT.test(key) || key.length < 1 || key.length > 128) return "must be 1-128 letters, digits or _.:/=+-@";
  if (key.toLowerCase().startsWith("aws:")) return "may not start with aws:";
  if (RESERVED_TAG_KEYS.includes(key.toLowerCase())) return "is set by jitbot itself";
  return undefined;
}

const sessionTagValue = z
  .string()
  .max(256)
  .regex(TAG_TEXT, { message: "must be at most 256 letters, digits or _.:/=+-@" });

export const awsRoleOptions = z
  .strictObject({
    type: z.literal("aws-role"),
    roleArn,
    /**
     * The longest session jitbot asks STS for (DurationSeconds), 15m to 12h, default 1h. It must not exceed the
     * role's MaxSessionDuration in IAM (1h to 12h, default 1h), nor 1h when the bot runs as a role session.
     */
    maxSessionDuration: durationSchema.optional(),
    externalId: z
      .string()
      .regex(/^[\w+=,.@:/-]{2,1224}$/, { message: "must be 2-1224 characters of letters, digits and +=,.@:/-" })
      .optional(),
    /** On early revoke, attach a deny policy for sessions issued before now (needs iam:PutRolePolicy). */
    revokeSessions: z.boolean().default(false),
    /** Extra static session tags (e.g. team, cost-center); STS allows 50 in all, jitbot uses 2. */
    sessionTags: z
      .record(z.string(), sessionTagValue)
      .superRefine((tags, ctx) => {
        for (const key of Object.keys(tags)) {
          const problem = tagKeyProblem(key);
          if (problem) ctx.addIssue({ code: "custom", path: [key], message: problem });
        }
        if (Object.keys(tags).length > 48) {
          ctx.addIssue({ code: "custom", message: "at most 48 tags (STS allows 50, jitbot sets 2)" });
        }
      })
      .optional(),
  })
  .superRefine((options, ctx) => {
    const max = options.maxSessionDuration;
    if (max !== undefined && (max < STS_MIN_SECONDS || max > STS_MAX_SECONDS)) {
      ctx.addIssue({
        code: "custom",
        path: ["maxSessionDuration"],
        message:
          "must be between 15m (STS's shortest session) and 12h; the role's MaxSessionDuration in IAM (1h to 12h, default 1h) must be at least this",
      });
    }
  });

/**
 * An access entry's principal must be an IAM role or user. STS sessions (assumed-role, federated
 * user) are refused by EKS, so they are refused here, at start-up, rather than at the first grant.
 */
const IAM_PRINCIPAL = /^arn:aws[a-z-]*:iam::\d{12}:(role|user)\/[\w+=,.@/{}-]{1,512}$/;
const STS_PRINCIPAL = /^arn:aws[a-z-]*:sts::/;
const PLACEHOLDERS = /\{(\w+)\}/g;
const KNOWN_PLACEHOLDERS = new Set(["email", "user"]);

const principalArn = z.string().superRefine((arn, ctx) => {
  if (STS_PRINCIPAL.test(arn)) {
    ctx.addIssue({
      code: "custom",
      message:
        "is an STS session ARN; an access entry needs the IAM role or user ARN (arn:aws:iam::123456789012:role/Name)",
    });
    return;
  }
  if (!IAM_PRINCIPAL.test(arn)) {
    ctx.addIssue({
      code: "custom",
      message: "must be an IAM role or user ARN (arn:aws:iam::123456789012:role/{user}), {email}/{user} allowed",
    });
    return;
  }
  for (const match of arn.matchAll(PLACEHOLDERS)) {
    if (!KNOWN_PLACEHOLDERS.has(match[1] ?? "")) {
      ctx.addIssue({ code: "custom", message: `uses unknown placeholder {${match[1]}}; use {email} or {user}` });
    }
  }
});

export const eksAccessEntryOptions = z
  .strictObject({
    type: z.literal("eks-access-entry"),
    /** The requester's own IAM principal; `{email}`, `{user}` (email local part) are substituted. */
    principalArn,
    accessPolicyArn: z.string().regex(/^arn:aws[a-z-]*:eks::aws:cluster-access-policy\/[A-Za-z]+$/, {
      message: "must be an EKS access policy ARN (arn:aws:eks::aws:cluster-access-policy/AmazonEKSViewPolicy)",
    }),
    accessScope: z
      .strictObject({
        type: z.enum(["cluster", "namespace"]),
        namespaces: z.array(z.string().min(1)).optional(),
      })
      .default({ type: "cluster" }),
  })
  .superRefine((options, ctx) => {
    const { type, namespaces } = options.accessScope;
    if (type === "namespace" && !namespaces?.length) {
      ctx.addIssue({ code: "custom", path: ["accessScope", "namespaces"], message: "is required for namespace scope" });
    }
    if (type === "cluster" && namespaces?.length) {
      ctx.addIssue({
        code: "custom",
        path: ["accessScope", "namespaces"],
        message: "only applies to namespace scope; set accessScope.type: namespace",
      });
    }
  });

export type AwsRoleOptions = z.infer<typeof awsRoleOptions>;
export type EksAccessEntryOptions = z.infer<typeof eksAccessEntryOptions>;
