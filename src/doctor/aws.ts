import { ListAccessEntriesCommand } from "@aws-sdk/client-eks";
import { AssumeRoleCommand } from "@aws-sdk/client-sts";
import type { Policy, Profile } from "../config/schema.js";
import { policyParts } from "../domain/bundle.js";
import { AwsClients } from "../grants/aws/clients.js";
import { awsErrorShape } from "../grants/aws/errors.js";
import { type CheckRow, failed, ok } from "./report.js";

/** The shortest session STS issues: the dry AssumeRole costs nothing and lives 15 minutes. */
const DOCTOR_SESSION_SECONDS = 900;
const DOCTOR_SESSION_NAME = "jitbot-doctor";

/**
 * Per aws-role profile a dry AssumeRole shaped like a grant's (SourceIdentity and session tags, which
 * the trust policy must allow too); per eks-access-entry profile ListAccessEntries on the cluster.
 * The credentials STS returns are dropped unread: nothing of them is printed or kept.
 */
export async function awsChecks(env: NodeJS.ProcessEnv, policy: Policy): Promise<CheckRow[]> {
  const clients = new AwsClients(env);
  const rows: CheckRow[] = [];
  try {
    for (const profile of policyParts(policy)) {
      const region = profile.cluster.kind === "eks" ? profile.cluster.region : undefined;
      if (profile.grant.type === "aws-role") rows.push(await assumeRow(clients, profile, profile.grant, region));
      if (profile.grant.type === "eks-access-entry") rows.push(await accessEntriesRow(clients, profile, region));
    }
  } finally {
    clients.destroy();
  }
  return rows;
}

async function assumeRow(
  clients: AwsClients,
  profile: Profile,
  grant: Extract<Profile["grant"], { type: "aws-role" }>,
  region: string | undefined,
): Promise<CheckRow> {
  const target = `${profile.id}: ${grant.roleArn}`;
  try {
    const answer = await clients.stsFor(clients.region(region)).send(
      new AssumeRoleCommand({
        RoleArn: grant.roleArn,
        RoleSessionName: DOCTOR_SESSION_NAME,
        DurationSeconds: DOCTOR_SESSION_SECONDS,
        SourceIdentity: DOCTOR_SESSION_NAME,
        Tags: [
          ...Object.entries(grant.sessionTags ?? {}).map(([Key, Value]) => ({ Key, Value })),
          { Key: "jit-request-id", Value: "doctor" },
          { Key: "jit-requester", Value: "doctor" },
        ],
        ...(grant.externalId ? { ExternalId: grant.externalId } : {}),
      }),
    );
    return ok("AWS AssumeRole", target, `assumed as ${answer.AssumedRoleUser?.Arn ?? grant.roleArn} (15 min session)`);
  } catch (error) {
    const shape = awsErrorShape(error);
    if (shape.name.startsWith("AccessDenied") || shape.statusCode === 403) {
      return failed(
        "AWS AssumeRole",
        target,
        `${shape.name}: the bot may not assume this role`,
        "the role's trust policy must allow the bot's principal sts:AssumeRole, sts:SetSourceIdentity and sts:TagSession (docs/aws.md)",
      );
    }
    return failed("AWS AssumeRole", target, `${shape.name}: ${shape.message}`, awsFix(shape.name));
  }
}

async function accessEntriesRow(clients: AwsClients, profile: Profile, region: string | undefined): Promise<CheckRow> {
  const cluster = profile.cluster.name;
  const target = `${profile.id}: EKS ${cluster}`;
  try {
    const answer = await clients
      .eksFor(clients.region(region))
      .send(new ListAccessEntriesCommand({ clusterName: cluster, maxResults: 1 }));
    const more = answer.nextToken ? "+" : "";
    return ok("EKS access entries", target, `listable (${answer.accessEntries?.length ?? 0}${more} seen)`);
  } catch (error) {
    const shape = awsErrorShape(error);
    if (shape.name.startsWith("AccessDenied") || shape.statusCode === 403) {
      return failed(
        "EKS access entries",
        target,
        `${shape.name}: the bot may not manage access entries`,
        `give the bot's role eks:ListAccessEntries, eks:CreateAccessEntry, eks:DescribeAccessEntry, eks:AssociateAccessPolicy, eks:DisassociateAccessPolicy, eks:ListAssociatedAccessPolicies, eks:TagResource and eks:DeleteAccessEntry on ${cluster} (docs/aws.md)`,
      );
    }
    if (shape.name === "ResourceNotFoundException") {
      return failed(
        "EKS access entries",
        target,
        "cluster not found",
        "check the profile's cluster.name and cluster.region",
      );
    }
    if (shape.name === "InvalidRequestException") {
      return failed(
        "EKS access entries",
        target,
        shape.message || shape.name,
        "set the cluster's authentication mode to API or API_AND_CONFIG_MAP (aws eks update-cluster-config --access-config authenticationMode=API_AND_CONFIG_MAP)",
      );
    }
    return failed("EKS access entries", target, `${shape.name}: ${shape.message}`, awsFix(shape.name));
  }
}

function awsFix(name: string): string {
  if (/token|signature|credential|unrecognizedclient/i.test(name)) {
    return "AWS refused the bot's own credentials: check its IRSA / Pod Identity role or AWS_* keys";
  }
  if (name === "RegionDisabledException") return "activate STS in this region (IAM → Account settings)";
  return "check the bot's AWS credentials, region and egress to AWS (HTTPS)";
}
