import { describe, expect, it } from "vitest";
import { parsePolicy } from "../config/load.js";
import { bundleProfiles } from "./bundle.js";
import { approvalsSatisfy, checkApprover, countsFor, findProfile, mayRequest, validateRequestInput } from "./policy.js";

const policy = parsePolicy(`profiles:
  - id: aks
    title: AKS
    cluster: { kind: aks, name: prod-aks, resourceGroup: rg, subscriptionId: "99999999-8888-7777-6666-555555555555" }
    grant: { type: entra-group, groupId: "6f1c2a9e-1b7d-4f3a-9c1e-2d5b8a7f4e10" }
    duration: { default: 1h, max: 4h }
    requesters: { slackUserGroups: [S0SRE] }
    approval: { channel: C0APPROVALS, approvers: { users: [U0LEAD, U0BOTH] } }
    ticket: { pattern: "^OPS-[0-9]+$" }
  - id: eks
    title: EKS
    cluster: { kind: eks, name: britive-test, region: us-west-2 }
    grant: { type: aws-role, roleArn: "arn:aws:iam::123456789012:role/EKS-Pod-Manager" }
    duration: { default: 2h, max: 2h }
    requesters: { users: [U0ALICE, U0BOB] }
    approval: { channel: C0EKS, approvers: { users: [U0OMAR, U0BOTH, U0THIRD] }, required: 2, selfApproval: true }
bundles:
  - { id: incident, title: Incident, profiles: [aks, eks] }
`);
const bundle = findProfile(policy, "incident");
const person = (id: string, groups: string[] = []) => ({ id, groups });

describe("a bundle's rules are the strictest of its profiles'", () => {
  it("is found by id like a profile, and built once per policy", () => {
    expect(bundle?.bundle?.profiles.map((p) => p.id)).toEqual(["aks", "eks"]);
    expect(bundleProfiles(policy)[0]).toBe(bundle);
  });

  it.each([
    ["allowed by both profiles", person("U0ALICE", ["S0SRE"]), true],
    ["allowed by one profile only", person("U0BOB"), false],
    ["in the SRE group but not listed for EKS", person("U0CAROL", ["S0SRE"]), false],
  ])("may be requested by someone %s: %s", (_case, who, expected) => {
    expect(bundle && mayRequest(bundle, who)).toBe(expected);
  });

  it.each([
    ["an approver of both counts for both", ["U0BOTH"], ["aks", "eks"]],
    ["an approver of one counts for that one", ["U0LEAD"], ["aks"]],
    ["nobody's approver counts for nothing", ["U0EVE"], []],
  ])("%s", (_case, [id], expected) => {
    expect(bundle && countsFor(bundle, "U0ALICE", person(id ?? ""))).toEqual(expected);
  });

  it.each([
    ["one approver of both, but EKS needs two", ["U0BOTH"], false],
    ["an approver of both and a second EKS approver", ["U0BOTH", "U0OMAR"], true],
    ["two EKS approvers and no AKS approver", ["U0OMAR", "U0THIRD"], false],
    ["an AKS approver and two EKS approvers", ["U0LEAD", "U0OMAR", "U0THIRD"], true],
  ])("approved when %s: %s", (_case, ids, expected) => {
    if (!bundle) throw new Error("no bundle");
    const counted = new Map(ids.map((id) => [id, countsFor(bundle, "U0ALICE", person(id))]));
    expect(approvalsSatisfy(bundle, counted)).toBe(expected);
  });

  it("refuses someone who approves none of its profiles, and a requester whose own profiles forbid it", () => {
    if (!bundle) throw new Error("no bundle");
    expect(checkApprover(bundle, "U0ALICE", person("U0EVE"))?.code).toBe("NOT_AN_APPROVER");
    // U0OMAR may approve his own EKS request (selfApproval), so he counts for EKS on his own bundle.
    expect(checkApprover(bundle, "U0OMAR", person("U0OMAR"))).toBeUndefined();
    // U0LEAD approves only AKS, which forbids self-approval.
    expect(checkApprover(bundle, "U0LEAD", person("U0LEAD"))?.code).toBe("SELF_APPROVAL");
  });

  it("takes the shortest cap and every profile's ticket pattern", () => {
    if (!bundle) throw new Error("no bundle");
    const input = { justification: "investigating INC-7 now", ticket: "OPS-1" };
    expect(validateRequestInput(bundle, { ...input, durationSeconds: 3 * 3600 }).duration?.code).toBe(
      "DURATION_OVER_CAP",
    );
    expect(validateRequestInput(bundle, { ...input, durationSeconds: 3600 })).toEqual({});
    expect(validateRequestInput(bundle, { ...input, durationSeconds: 3600, ticket: "JIRA-1" }).ticket?.code).toBe(
      "TICKET_INVALID",
    );
  });
});

describe("a bundle and the incident rules of its profiles", () => {
  const withRules = parsePolicy(`profiles:
  - id: plain
    title: Plain
    cluster: { kind: aks, name: prod-aks, resourceGroup: rg, subscriptionId: "99999999-8888-7777-6666-555555555555" }
    grant: { type: entra-group, groupId: "6f1c2a9e-1b7d-4f3a-9c1e-2d5b8a7f4e10" }
    duration: { default: 1h, max: 4h }
    approval:
      channel: C0APPROVALS
      approvers: { users: [U0LEAD] }
      autoApproveOnCall: { provider: pagerduty, schedules: [PSAMPLE1], max: 2h }
  - id: guarded
    title: Guarded
    cluster: { kind: aks, name: prod-aks, resourceGroup: rg, subscriptionId: "99999999-8888-7777-6666-555555555555" }
    grant: { type: entra-group, groupId: "7f1c2a9e-1b7d-4f3a-9c1e-2d5b8a7f4e10" }
    duration: { default: 1h, max: 4h }
    approval: { channel: C0APPROVALS, approvers: { users: [U0LEAD] }, stepUp: { provider: entra, authenticationContext: C3 } }
bundles:
  - { id: both, title: Both, profiles: [plain, guarded] }
`);
  const both = findProfile(withRules, "both");

  it("asks for step-up when any of its profiles does, with the context it names", () => {
    expect(both?.approval.stepUp).toEqual({ provider: "entra", authenticationContext: "c3" });
  });

  it("is never auto-approved for whoever is on call, though one of its profiles is", () => {
    expect(both?.approval.autoApproveOnCall).toBeUndefined();
  });
});
