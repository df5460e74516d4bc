import { type Policy, type Profile, policySchema } from "../../src/config/schema.js";
import type { AccessRequest, Approval, GrantRecord } from "../../src/domain/request.js";
import type { RequestStatus } from "../../src/domain/status.js";

/** Text at Slack's worst: every character one that escaping makes five, plus a broadcast keyword. */
export const nasty = (length: number) => "&<>@channel ".repeat(Math.ceil(length / 12)).slice(0, length);
/** A title at the schema's 75-character cap, made only of characters that escaping expands. */
export const nastyTitle = (i: number) => `${i}${"&<>".repeat(25)}`.slice(0, 75);

const GRANTS = [
  { type: "entra-group", groupId: "6f1c2a9e-1b7d-4f3a-9c1e-2d5b8a7f4e10" },
  { type: "entra-pim-group", groupId: "6f1c2a9e-1b7d-4f3a-9c1e-2d5b8a7f4e11" },
  { type: "entra-service-principal", groupId: "6f1c2a9e-1b7d-4f3a-9c1e-2d5b8a7f4e12" },
  { type: "aws-role", roleArn: "arn:aws:iam::123456789012:role/jit-role-with-a-rather-long-name-for-testing-limits" },
  {
    type: "eks-access-entry",
    principalArn: "arn:aws:iam::123456789012:role/{user}",
    accessPolicyArn: "arn:aws:eks::aws:cluster-access-policy/AmazonEKSClusterAdminPolicy",
  },
] as const;

function profileInput(i: number) {
  const grant = GRANTS[i % GRANTS.length] ?? GRANTS[0];
  const aks = grant.type.startsWith("entra");
  const clusterName = `${aks ? "aks" : "eks"}-${i % 4}-${"&<>".repeat(19)}`.slice(0, 63);
  return {
    id: `p-${String(i).padStart(3, "0")}-${"x".repeat(56)}`.slice(0, 63),
    title: nastyTitle(i),
    description: nasty(500),
    cluster: aks
      ? {
          kind: "aks",
          name: clusterName,
          resourceGroup: `rg-${nasty(86)}`,
          subscriptionId: "3c9f1b2a-5d4e-4f6a-8b7c-9d0e1f2a3b4c",
          namespace: `ns-${nasty(60)}`,
        }
      : { kind: "eks", name: clusterName, region: "eu-central-1", namespace: `ns-${nasty(60)}` },
    grant,
    duration: { default: "1h", max: grant.type === "entra-pim-group" ? "8h" : "24h" },
    approval: { channel: "C0APPROVALS", approvers: { users: ["U0LEAD"] }, required: 10 },
    justification: { minLength: 1000 },
    ticket: { required: true, pattern: `^${"[A-Z&<>]+".repeat(21)}$` }, // the longest pattern a policy may hold (200)
    extension: { max: "2h", autoApprove: false },
  };
}

/** 153 profiles: more than a static select holds, every field at its longest and nastiest. */
export function policyWith(count: number): Policy {
  return policySchema.parse({
    entra: { revokeSessionsOnExpiry: true },
    profiles: Array.from({ length: count }, (_, i) => profileInput(i)),
  });
}

export function profileOf(policy: Policy, index = 0): Profile {
  const profile = policy.profiles[index];
  if (!profile) throw new Error(`no profile ${index}`);
  return profile;
}

const NOW = new Date("2030-01-01T12:00:00Z");
export const at = (minutes: number) => new Date(NOW.getTime() + minutes * 60_000);

export function requestFor(profile: Profile, status: RequestStatus, extra: Partial<AccessRequest> = {}): AccessRequest {
  return {
    id: "JR-7K3Q9M",
    profileId: profile.id,
    requesterId: "U0ALICE12345",
    requesterName: nasty(80),
    requesterEmail: "alice@contoso.com",
    durationSeconds: profile.duration.max,
    justification: nasty(2000),
    ticket: nasty(100),
    status,
    createdAt: at(-60),
    updatedAt: at(-30),
    decidedAt: status === "pending" ? undefined : at(-30),
    decisionNote: status === "denied" ? nasty(500) : undefined,
    approvalChannel: "C0APPROVALS",
    approvalTs: "1700000000.000100",
    receiptChannel: "D0ALICE",
    receiptTs: "1700000000.000200",
    extendsRequestId: undefined,
    ...extra,
  };
}

/** Ten deciders: the most `approval.required` allows. */
export function approvalsFor(request: AccessRequest, decision: "approve" | "deny"): Approval[] {
  return Array.from({ length: 10 }, (_, i) => ({
    requestId: request.id,
    approverId: `U0APPROVER${String(i).padStart(2, "0")}`,
    decision,
    at: at(-30),
  }));
}

export function grantFor(request: AccessRequest, extra: Partial<GrantRecord> = {}): GrantRecord {
  return {
    requestId: request.id,
    provider: "entra-group",
    status: "active",
    state: {},
    startedAt: at(-20),
    grantedAt: at(-20),
    expiresAt: at(24 * 60),
    providerExpiresAt: undefined,
    dueAt: at(24 * 60),
    endReason: undefined,
    endedAt: undefined,
    revokeAttempts: 99,
    lastError: nasty(1000),
    lastAlertAt: undefined,
    reminderSentAt: undefined,
    dmChannel: "D0ALICE",
    dmTs: "1700000000.000300",
    dmHasSecret: true,
    revokeRequestedAt: undefined,
    revokeRequestedBy: undefined,
    ...extra,
  };
}
