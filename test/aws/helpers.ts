import { parsePolicy } from "../../src/config/load.js";
import type { Policy, Profile } from "../../src/config/schema.js";
import { ManualClock } from "../../src/domain/clock.js";
import { AwsRoleProvider, createAwsProviders, EksAccessEntryProvider } from "../../src/grants/aws/index.js";
import type { GrantRequest, GrantSubject } from "../../src/grants/provider.js";
import { FakeAws } from "../fakes/aws-server.js";

// The SDK must never reach for instance metadata, whatever the provider is given.
process.env.AWS_EC2_METADATA_DISABLED = "true";

export const ROLE_ARN = "arn:aws:iam::123456789012:role/EKS-Pod-Manager";

/** A policy with the profiles the AWS tests use; `grant` lines override the aws-role profile's grant. */
export function awsPolicy(roleGrant = "", extra = ""): Policy {
  return parsePolicy(`
profiles:
  - id: eks-pod-manager
    title: EKS pod manager
    cluster: { kind: eks, name: britive-test, region: us-west-2 }
    grant: { type: aws-role, roleArn: "${ROLE_ARN}"${roleGrant} }
    duration: { default: 1h, max: 12h }
    approval: { channel: C0APPROVALS, approvers: { users: [U0LEAD] } }
  - id: eks-view
    title: EKS view (own role)
    cluster: { kind: eks, name: britive-test, region: us-west-2, namespace: team-a }
    grant:
      type: eks-access-entry
      principalArn: "arn:aws:iam::123456789012:role/people/{user}"
      accessPolicyArn: arn:aws:eks::aws:cluster-access-policy/AmazonEKSViewPolicy
      accessScope: { type: namespace, namespaces: [team-a] }
    duration: { default: 1h, max: 4h }
    approval: { channel: C0APPROVALS, approvers: { users: [U0LEAD] } }
${extra}`);
}

export function profileOf(policy: Policy, id: string): Profile {
  const profile = policy.profiles.find((p) => p.id === id);
  if (!profile) throw new Error(`no profile ${id}`);
  return profile;
}

export const alice: GrantSubject = { slackUserId: "U0ALICE", email: "alice@example.com", name: "Alice" };

let seq = 0;
export function requestFor(
  profile: Profile,
  clock: ManualClock,
  durationSeconds = 3600,
  subject: GrantSubject = alice,
): GrantRequest {
  const startsAt = clock.now();
  return {
    requestId: `req-${++seq}`,
    profile,
    subject,
    durationSeconds,
    startsAt,
    expiresAt: new Date(startsAt.getTime() + durationSeconds * 1000),
    justification: "investigating pods",
  };
}

export interface AwsWorld {
  fake: FakeAws;
  clock: ManualClock;
  policy: Policy;
  awsRole: AwsRoleProvider;
  accessEntry: EksAccessEntryProvider;
  warnings: { obj: object; msg?: string }[];
}

/** The real providers and the real SDK, pointed at a fresh fake on 127.0.0.1. */
export async function startWorld(roleGrant = "", env: NodeJS.ProcessEnv = {}): Promise<AwsWorld> {
  const clock = new ManualClock("2026-01-05T09:00:00Z");
  const fake = new FakeAws(() => clock.now());
  await fake.start();
  const policy = awsPolicy(roleGrant);
  const warnings: { obj: object; msg?: string }[] = [];
  const providers = createAwsProviders({
    env: fake.env(env),
    policy,
    clock,
    logger: { warn: (obj, msg) => warnings.push({ obj, msg }) },
  });
  const awsRole = providers.find((p) => p instanceof AwsRoleProvider);
  const accessEntry = providers.find((p) => p instanceof EksAccessEntryProvider);
  if (!awsRole || !accessEntry) throw new Error("createAwsProviders lacks a provider");
  return { fake, clock, policy, awsRole, accessEntry, warnings };
}
