import { z } from "zod";
import { durationSchema } from "../../config/zod-helpers.js";

const roleArn = z.string().regex(/^arn:aws[a-z-]*:iam::\d{12}:role\/[\w+=,.@/-]{1,512}$/, {
  message: "must be an IAM role ARN (arn:aws:iam::123456789012:role/Name)",
});

export const awsRoleOptions = z.strictObject({
  type: z.literal("aws-role"),
  roleArn,
  /** The role's MaxSessionDuration; STS refuses longer sessions. Default 1h, at most 12h. */
  maxSessionDuration: durationSchema.optional(),
  externalId: z.string().min(2).max(1224).optional(),
  /** On early revoke, attach a deny policy for sessions issued before now (needs iam:PutRolePolicy). */
  revokeSessions: z.boolean().default(false),
});

export const eksAccessEntryOptions = z.strictObject({
  type: z.literal("eks-access-entry"),
  /** The requester's own IAM principal; `{email}`, `{user}` (email local part) are substituted. */
  principalArn: z.string().min(20),
  accessPolicyArn: z.string().regex(/^arn:aws[a-z-]*:eks::aws:cluster-access-policy\/[A-Za-z]+$/, {
    message: "must be an EKS access policy ARN (arn:aws:eks::aws:cluster-access-policy/AmazonEKSViewPolicy)",
  }),
  accessScope: z
    .strictObject({
      type: z.enum(["cluster", "namespace"]),
      namespaces: z.array(z.string().min(1)).optional(),
    })
    .default({ type: "cluster" }),
});

export type AwsRoleOptions = z.infer<typeof awsRoleOptions>;
export type EksAccessEntryOptions = z.infer<typeof eksAccessEntryOptions>;
