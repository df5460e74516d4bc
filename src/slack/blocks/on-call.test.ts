import { describe, expect, it } from "vitest";
import { parsePolicy } from "../../config/load.js";
import type { Profile } from "../../config/schema.js";
import { ON_CALL_APPROVER } from "../../domain/on-call.js";
import type { AccessRequest, Approval } from "../../domain/request.js";
import type { RequestStatus } from "../../domain/status.js";
import { approvalMessage } from "./approval.js";
import { decisionMessage } from "./dm.js";

const profile = parsePolicy(`
profiles:
  - id: aks-oncall
    title: AKS prod on call
    cluster: { kind: aks, name: prod, resourceGroup: rg, subscriptionId: "99999999-8888-7777-6666-555555555555" }
    grant: { type: entra-group, groupId: "6f1c2a9e-1b7d-4f3a-9c1e-2d5b8a7f4e10" }
    duration: { default: 1h, max: 4h }
    approval:
      channel: C0APPROVALS
      approvers: { users: [U0LEAD] }
      autoApproveOnCall: { provider: pagerduty, schedules: [P1ABCDE], max: 2h }
`).profiles[0] as Profile;

const at = new Date("2026-01-05T09:00:00Z");
const request = (status: RequestStatus, note = "on call for Payments primary (PagerDuty)"): AccessRequest => ({
  id: "JR-7K3Q9M",
  profileId: profile.id,
  requesterId: "U0ALICE",
  requesterName: "Alice",
  requesterEmail: "alice@contoso.com",
  durationSeconds: 3600,
  justification: "incident",
  ticket: undefined,
  status,
  createdAt: at,
  updatedAt: at,
  decidedAt: at,
  decisionNote: note,
  approvalChannel: "C0APPROVALS",
  approvalTs: "1.2",
  receiptChannel: undefined,
  receiptTs: undefined,
  extendsRequestId: undefined,
});
const byRule: Approval[] = [{ requestId: "JR-7K3Q9M", approverId: ON_CALL_APPROVER, decision: "approve", at }];
const json = (value: unknown) => JSON.stringify(value);

describe("the approval message of an on-call auto-approval", () => {
  it.each(["approved", "active"] as const)(
    "while %s: says who is on call for which schedule, with Revoke and no Approve",
    (status) => {
      const message = approvalMessage(request(status), profile, byRule);
      expect(message.text).toBe(
        "Access request JR-7K3Q9M auto-approved: <@U0ALICE> is on call for Payments primary (PagerDuty)",
      );
      expect(json(message.blocks)).toContain('"action_id":"jit_revoke_auto"');
      expect(json(message.blocks)).not.toContain("jit_approve");
      expect(json(message.blocks)).toContain("up to 2h");
    },
  );

  it.each(["expired", "revoked", "failed"] as const)(
    "once %s: the outcome and the reason, and no live button",
    (status) => {
      const message = approvalMessage(request(status), profile, byRule);
      expect(json(message.blocks)).not.toContain("jit_revoke_auto");
      expect(json(message.blocks)).toContain("approved by on-call auto-approval");
      expect(json(message.blocks)).toContain("auto-approved: <@U0ALICE> was on call for Payments primary (PagerDuty)");
    },
  );

  it("escapes a schedule name, which PagerDuty's admins typed, so it cannot mention or link", () => {
    const message = approvalMessage(
      request("active", "on call for <!channel> & <@U0LEAD> (PagerDuty)"),
      profile,
      byRule,
    );
    expect(json(message)).not.toContain("<!channel>");
    expect(json(message)).not.toContain("<@U0LEAD>");
    expect(message.text).toContain("&lt;!channel&gt; &amp; &lt;@U0LEAD&gt;");
  });

  it("never shows the rule as a Slack mention, in the channel or the DM", () => {
    expect(json(approvalMessage(request("active"), profile, byRule))).not.toContain("<@jitbot");
    expect(json(decisionMessage(request("approved"), profile, byRule))).toContain("approved by on-call auto-approval");
  });

  it("leaves a request a person approved exactly as before", () => {
    const person: Approval[] = [{ requestId: "JR-7K3Q9M", approverId: "U0LEAD", decision: "approve", at }];
    const message = approvalMessage(request("active", ""), profile, person);
    expect(json(message.blocks)).not.toContain("jit_revoke_auto");
    expect(json(message.blocks)).toContain("Approved by <@U0LEAD>");
  });
});
