import { z } from "zod";
import { ticketPatternProblem } from "../domain/ticket-pattern.js";
import { awsRoleOptions, eksAccessEntryOptions } from "../grants/aws/options.js";
import {
  entraGroupOptions,
  entraPimGroupOptions,
  entraServicePrincipalOptions,
  PIM_MIN_SECONDS,
} from "../grants/entra/options.js";
import {
  checkKubernetesProfiles,
  kubeClusterSchema,
  kubernetesRoleBindingOptions,
} from "../grants/kubernetes/options.js";
import { formatDuration } from "./duration.js";
import {
  durationSchema,
  slackChannelIdSchema,
  slackUserGroupIdSchema,
  slackUserIdSchema,
  uuidSchema,
} from "./zod-helpers.js";

const MIN_SECONDS = 60;
const MAX_SECONDS = 24 * 3600;

const aksCluster = z.strictObject({
  kind: z.literal("aks"),
  name: z.string().min(1),
  resourceGroup: z.string().min(1),
  subscriptionId: uuidSchema,
  namespace: z.string().min(1).optional(),
});

const eksCluster = z.strictObject({
  kind: z.literal("eks"),
  name: z.string().min(1),
  region: z.string().regex(/^[a-z]{2}(-gov)?-[a-z]+-\d$/, { message: "must be an AWS region such as us-west-2" }),
  namespace: z.string().min(1).optional(),
});

const grantOptions = z.discriminatedUnion("type", [
  entraGroupOptions,
  entraPimGroupOptions,
  entraServicePrincipalOptions,
  awsRoleOptions,
  eksAccessEntryOptions,
  kubernetesRoleBindingOptions,
]);

const peopleSchema = z.strictObject({
  users: z.array(slackUserIdSchema).default([]),
  slackUserGroups: z.array(slackUserGroupIdSchema).default([]),
});

const emailDomainMap = z.record(z.string().min(1), z.string().min(1));

const profileSchema = z
  .strictObject({
    id: z.string().regex(/^[a-z0-9][a-z0-9-]{0,62}$/, { message: "must be a slug: lowercase letters, digits, dashes" }),
    title: z.string().min(1).max(75),
    description: z.string().max(500).optional(),
    cluster: z.discriminatedUnion("kind", [aksCluster, eksCluster]),
    grant: grantOptions,
    duration: z.strictObject({ default: durationSchema, max: durationSchema }),
    requesters: peopleSchema.optional(),
    approval: z.strictObject({
      channel: slackChannelIdSchema,
      approvers: peopleSchema,
      required: z.number().int().min(1).max(10).default(1),
      selfApproval: z.boolean().default(false),
    }),
    justification: z
      .strictObject({ minLength: z.number().int().min(0).max(1000).default(10) })
      .default({ minLength: 10 }),
    ticket: z
      .strictObject({ required: z.boolean().default(false), pattern: z.string().optional() })
      .default({ required: false }),
    extension: z
      .strictObject({
        max: durationSchema.optional(),
        autoApprove: z.boolean().default(false),
        /** What all extensions of one grant may add together; default: duration.max. */
        maxTotal: durationSchema.optional(),
      })
      .optional(),
    /** People whose membership is standing access on purpose (drift report ignores them). */
    standingMembers: z.array(z.string().min(1)).default([]),
    identity: z.strictObject({ emailDomainMap: emailDomainMap.default({}) }).optional(),
  })
  .superRefine((profile, ctx) => {
    const { default: def, max } = profile.duration;
    for (const [key, seconds] of [
      ["default", def],
      ["max", max],
    ] as const) {
      if (seconds < MIN_SECONDS)
        ctx.addIssue({ code: "custom", path: ["duration", key], message: "must be at least 1m" });
      if (seconds > MAX_SECONDS)
        ctx.addIssue({ code: "custom", path: ["duration", key], message: "must be at most 24h" });
    }
    if (def > max) {
      ctx.addIssue({
        code: "custom",
        path: ["duration", "default"],
        message: `${formatDuration(def)} is longer than duration.max (${formatDuration(max)})`,
      });
    }
    if (profile.grant.type === "entra-pim-group" && def < PIM_MIN_SECONDS) {
      ctx.addIssue({
        code: "custom",
        path: ["duration", "default"],
        message: `${formatDuration(def)} is shorter than the ${formatDuration(PIM_MIN_SECONDS)} PIM for Groups assigns at least`,
      });
    }
    checkExtension(profile, ctx);
    if (profile.ticket.pattern !== undefined) {
      const problem = ticketPatternProblem(profile.ticket.pattern);
      if (problem) ctx.addIssue({ code: "custom", path: ["ticket", "pattern"], message: problem });
    }
    if (
      profile.cluster.kind === "aks" &&
      (profile.grant.type.startsWith("eks") || profile.grant.type.startsWith("aws"))
    ) {
      ctx.addIssue({
        code: "custom",
        path: ["grant", "type"],
        message: `${profile.grant.type} does not fit an AKS cluster`,
      });
    }
    if (profile.cluster.kind === "eks" && profile.grant.type.startsWith("entra")) {
      ctx.addIssue({
        code: "custom",
        path: ["grant", "type"],
        message: `${profile.grant.type} does not fit an EKS cluster`,
      });
    }
  });

/** extension.max and extension.maxTotal are durations like the profile's, and must agree. */
function checkExtension(
  profile: { extension?: { max?: number; maxTotal?: number } },
  ctx: { addIssue(issue: { code: "custom"; path: (string | number)[]; message: string }): void },
): void {
  const { max, maxTotal } = profile.extension ?? {};
  for (const [key, seconds] of [
    ["max", max],
    ["maxTotal", maxTotal],
  ] as const) {
    if (seconds === undefined) continue;
    if (seconds < MIN_SECONDS)
      ctx.addIssue({ code: "custom", path: ["extension", key], message: "must be at least 1m" });
    if (seconds > MAX_SECONDS)
      ctx.addIssue({ code: "custom", path: ["extension", key], message: "must be at most 24h" });
  }
  if (max !== undefined && maxTotal !== undefined && maxTotal < max) {
    ctx.addIssue({
      code: "custom",
      path: ["extension", "maxTotal"],
      message: `${formatDuration(maxTotal)} is shorter than extension.max (${formatDuration(max)})`,
    });
  }
}

const playgroundUser = z.strictObject({
  id: slackUserIdSchema,
  name: z.string().min(1),
  email: z.string().email(),
  groups: z.array(slackUserGroupIdSchema).default([]),
});

export const policySchema = z
  .strictObject({
    dryRun: z.boolean().default(false),
    defaults: z
      .strictObject({
        reminderBefore: durationSchema.default(600),
        approvalTimeout: durationSchema.default(4 * 3600),
      })
      .default({ reminderBefore: 600, approvalTimeout: 4 * 3600 }),
    identity: z.strictObject({ emailDomainMap: emailDomainMap.default({}) }).default({ emailDomainMap: {} }),
    entra: z
      .strictObject({ revokeSessionsOnExpiry: z.boolean().default(false), tenantId: uuidSchema.optional() })
      .default({ revokeSessionsOnExpiry: false }),
    playground: z.strictObject({ users: z.array(playgroundUser).min(1) }).optional(),
    // Where the audit chain's daily anchor is posted, beside the log: a copy outside the database.
    audit: z.strictObject({ channel: slackChannelIdSchema.optional() }).optional(),
    profiles: z.array(profileSchema).min(1, { message: "needs at least one profile" }),
    /** API servers jitbot reaches for kubernetes-rolebinding grants, by the profiles' cluster.name. */
    clusters: z.array(kubeClusterSchema).default([]),
  })
  .superRefine((policy, ctx) => {
    checkKubernetesProfiles(policy, (issue) => ctx.addIssue(issue));
    const seen = new Map<string, number>();
    policy.profiles.forEach((profile, index) => {
      const first = seen.get(profile.id);
      if (first !== undefined) {
        ctx.addIssue({
          code: "custom",
          path: ["profiles", index, "id"],
          message: `"${profile.id}" is already used by profiles[${first}]`,
        });
      } else seen.set(profile.id, index);
    });
  });

export type Policy = z.infer<typeof policySchema>;
export type Profile = Policy["profiles"][number];
export type GrantOptions = Profile["grant"];
export type GrantType = GrantOptions["type"];
export type Cluster = Profile["cluster"];
