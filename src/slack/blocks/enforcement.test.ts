import { describe, expect, it } from "vitest";
import { parsePolicy } from "../../config/load.js";
import type { AccessRequest, GrantRecord } from "../../domain/request.js";
import { homeView, listMessage } from "./overview.js";

const CA = Buffer.from("-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n").toString("base64");
const policy = parsePolicy(
  `
clusters:
  - { name: prod-aks, server: "https://prod-aks.example:443", caData: "${CA}" }
profiles:
  - id: aks-bound
    title: AKS prod bound
    cluster: { kind: aks, name: prod-aks, resourceGroup: rg, subscriptionId: "3c9f1b2a-5d4e-4f6a-8b7c-9d0e1f2a3b4c" }
    grant: { type: kubernetes-rolebinding, roleRef: { kind: ClusterRole, name: view }, namespace: sre }
    duration: { default: 1h, max: 4h }
    approval: { channel: C0APPROVALS, approvers: { users: [U0LEAD] } }
  - id: aks-group
    title: AKS prod group
    cluster: { kind: aks, name: prod-aks, resourceGroup: rg, subscriptionId: "3c9f1b2a-5d4e-4f6a-8b7c-9d0e1f2a3b4c" }
    grant: { type: entra-group, groupId: "6f1c2a9e-1b7d-4f3a-9c1e-2d5b8a7f4e10" }
    duration: { default: 1h, max: 4h }
    approval: { channel: C0APPROVALS, approvers: { users: [U0LEAD] } }
`,
  "enforcement.test.yaml",
);
const profiles = new Map(policy.profiles.map((p) => [p.id, p]));
const now = new Date("2026-12-02T13:32:05Z");
const ends = new Date("2026-12-02T14:32:05Z");

function active(id: string, profileId: string): { request: AccessRequest; grant: GrantRecord } {
  const request: AccessRequest = {
    id,
    profileId,
    requesterId: "U0ALICE",
    requesterName: "Alice",
    requesterEmail: "alice@contoso.com",
    durationSeconds: 3600,
    justification: "checking the payments rollout",
    ticket: undefined,
    status: "active",
    createdAt: now,
    updatedAt: now,
    decidedAt: now,
    decisionNote: undefined,
    approvalChannel: "C0APPROVALS",
    approvalTs: "1.1",
    receiptChannel: undefined,
    receiptTs: undefined,
    extendsRequestId: undefined,
  };
  const grant: GrantRecord = {
    requestId: id,
    provider: profiles.get(profileId)?.grant.type ?? "",
    status: "active",
    state: {},
    startedAt: now,
    grantedAt: now,
    expiresAt: ends,
    providerExpiresAt: undefined,
    dueAt: ends,
    endReason: undefined,
    endedAt: undefined,
    revokeAttempts: 0,
    lastError: undefined,
    lastAlertAt: undefined,
    reminderSentAt: undefined,
    dmChannel: undefined,
    dmTs: undefined,
    dmHasSecret: false,
    revokeRequestedAt: undefined,
    revokeRequestedBy: undefined,
  };
  return { request, grant };
}

const access = { pending: [], active: [active("JR-BOUND1", "aks-bound"), active("JR-GROUP1", "aks-group")] };
const ENFORCED = "enforced by the cluster: ends at <!date^1796221925^{time_secs}|14:32:05 UTC>";
const texts = (node: unknown) => JSON.stringify(node);

describe("the end of a grant in /jit list and on App Home", () => {
  it("/jit list says the cluster enforces a binding's end, to the second, and only for that grant type", () => {
    const text = texts(listMessage(access, profiles, now));
    expect(text).toContain(`*JR-BOUND1* AKS prod bound — 1h left (${ENFORCED})`);
    expect(text).toMatch(/\*JR-GROUP1\* AKS prod group — 1h left \(ends <!date\^1796221925\^\{date_short_pretty\}/);
    expect(text.match(/enforced by the cluster/g)).toHaveLength(1);
  });

  it("App Home says the same under the grant", () => {
    const text = texts(homeView({ access, awaiting: [], profiles, now }));
    expect(text).toContain(`JR-BOUND1\\n1h left · ${ENFORCED}`);
    expect(text).toContain("JR-GROUP1\\n1h left · ends <!date^1796221925^{date_short_pretty} {time}");
    expect(text.match(/enforced by the cluster/g)).toHaveLength(1);
  });
});
