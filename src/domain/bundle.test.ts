import { describe, expect, it } from "vitest";
import { parsePolicy } from "../config/load.js";
import type { Profile } from "../config/schema.js";
import {
  bundleProfile,
  bundleProfiles,
  clustersOf,
  grantTypesOf,
  partsOf,
  policyParts,
  requestables,
} from "./bundle.js";
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

describe("the profile a bundle is requested as", () => {
  const AKS = `cluster: { kind: aks, name: prod-aks, resourceGroup: rg, subscriptionId: "99999999-8888-7777-6666-555555555555" }`;
  const EKS = "cluster: { kind: eks, name: britive-test, region: us-west-2 }";
  const GROUP = "6f1c2a9e-1b7d-4f3a-9c1e-2d5b8a7f4e10";
  const strict = parsePolicy(`profiles:
  - id: wide
    title: Wide
    ${AKS}
    grant: { type: entra-group, groupId: "${GROUP}" }
    duration: { default: 2h, max: 4h }
    approval:
      channel: C0WIDE
      approvers: { users: [U0LEAD, U0BOTH], slackUserGroups: [S0ONE] }
      selfApproval: true
      stepUp: entra
    justification: { minLength: 15 }
    extension: { max: 1h, autoApprove: true, maxTotal: 3h }
  - id: narrow
    title: Narrow
    ${EKS}
    grant: { type: aws-role, roleArn: "arn:aws:iam::123456789012:role/EKS-Pod-Manager" }
    duration: { default: 1h, max: 2h30m }
    approval:
      channel: C0NARROW
      approvers: { users: [U0BOTH, U0OMAR], slackUserGroups: [S0ONE, S0TWO] }
      required: 2
      stepUp: { provider: entra, authenticationContext: c3 }
    justification: { minLength: 5 }
    ticket: { required: true }
    extension: { max: 30m }
  - id: pair
    title: Pair
    ${AKS}
    grant: [{ type: entra-group, groupId: "${GROUP}" }, { type: entra-pim-group, groupId: "${GROUP}" }]
    duration: { default: 30m, max: 4h }
    approval: { channel: C0PAIR, approvers: { users: [U0LEAD] }, selfApproval: true, stepUp: entra }
    extension: { autoApprove: true }
  - id: fixed
    title: Fixed
    ${AKS}
    grant: { type: entra-group, groupId: "${GROUP}" }
    duration: { default: 1h, max: 4h }
    approval: { channel: C0FIXED, approvers: { users: [U0LEAD] }, selfApproval: true }
bundles:
  - { id: wide-narrow, title: Wide and narrow, description: Both clusters, profiles: [wide, narrow] }
  - { id: pair-wide, title: Pair and wide, channel: C0BUNDLE, profiles: [pair, wide] }
  - { id: pair-fixed, title: Pair and fixed, profiles: [pair, fixed] }
`);
  const [wideNarrow, pairWide, pairFixed] = bundleProfiles(strict) as [Profile, Profile, Profile];
  const [wide, narrow, pair] = strict.profiles as [Profile, Profile, Profile];

  it("takes the strictest of every rule: shortest times, the union of approvers, every approval required", () => {
    expect(wideNarrow).toEqual({
      id: "wide-narrow",
      title: "Wide and narrow",
      description: "Both clusters",
      cluster: wide.cluster,
      grant: { type: "composite", parts: [wide, narrow] },
      duration: { default: 3600, max: 9000 },
      approval: {
        channel: "C0WIDE",
        approvers: { users: ["U0LEAD", "U0BOTH", "U0OMAR"], slackUserGroups: ["S0ONE", "S0TWO"] },
        required: 3,
        selfApproval: false,
        stepUp: { provider: "entra", authenticationContext: "c3" },
      },
      justification: { minLength: 15 },
      ticket: { required: true },
      extension: { max: 1800, autoApprove: false, maxTotal: 9000 },
      standingMembers: [],
      bundle: { profiles: [wide, narrow] },
    });
  });

  it("keeps self-approval only when every profile allows it, and a ticket optional only when none asks", () => {
    expect(pairFixed.approval.selfApproval).toBe(true);
    expect(pairFixed.ticket.required).toBe(false);
  });

  it("offers no default longer than its cap, and the shortest default of its profiles", () => {
    expect(pairWide.duration).toEqual({ default: 1800, max: 4 * 3600 });
  });

  it("sends its one approval message to its own channel when it names one", () => {
    expect(pairWide.approval.channel).toBe("C0BUNDLE");
  });

  it("steps up without a context when no profile names one", () => {
    expect(pairWide.approval.stepUp).toEqual({ provider: "entra" });
  });

  it("allows extensions with the tightest max its profiles set, only if each allows them", () => {
    expect(pairWide.extension).toEqual({ max: 3600, autoApprove: true, maxTotal: 3 * 3600 });
    expect(pairFixed.extension).toBeUndefined();
    const pairOnly = bundleProfile({ id: "p", title: "P", profiles: ["pair", "pair"] }, strict.profiles);
    expect(pairOnly.extension).toEqual({ max: undefined, autoApprove: true, maxTotal: 4 * 3600 });
  });

  it("applies each profile's grants, a composite's parts one by one", () => {
    expect(partsOf(pairWide).map((p) => `${p.id}:${p.grant.type}`)).toEqual([
      "pair:entra-group",
      "pair:entra-pim-group",
      "wide:entra-group",
    ]);
    expect(grantTypesOf(pairWide)).toBe("entra-group + entra-pim-group + entra-group");
    expect(partsOf(wide)).toEqual([wide]);
    expect(partsOf(wide)[0]).toBe(wide);
    expect(grantTypesOf(narrow)).toBe("aws-role");
    expect(policyParts(strict).map((p) => `${p.id}:${p.grant.type}`)).toEqual([
      "wide:entra-group",
      "narrow:aws-role",
      "pair:entra-group",
      "pair:entra-pim-group",
      "fixed:entra-group",
    ]);
  });

  it("names each distinct cluster a request reaches, once", () => {
    const label = (p: Profile) => p.cluster.name;
    expect(clustersOf(wideNarrow, label)).toBe("prod-aks + britive-test");
    expect(clustersOf(pairWide, label)).toBe("prod-aks");
    expect(clustersOf(pair, label)).toBe("prod-aks");
  });

  it("lists the profiles, then the bundles, as what can be requested", () => {
    expect(requestables(strict).map((p) => p.id)).toEqual([
      "wide",
      "narrow",
      "pair",
      "fixed",
      "wide-narrow",
      "pair-wide",
      "pair-fixed",
    ]);
  });

  it("has no bundles in a policy without any, and refuses a bundle that names no profile of the policy", () => {
    const solo = parsePolicy(`profiles:
  - id: solo
    title: Solo
    ${AKS}
    grant: { type: entra-group, groupId: "${GROUP}" }
    duration: { default: 1h, max: 4h }
    approval: { channel: C0A, approvers: { users: [U0LEAD] } }
`);
    expect(bundleProfiles(solo)).toEqual([]);
    expect(requestables(solo)).toEqual(solo.profiles);
    expect(() => bundleProfile({ id: "ghost", title: "Ghost", profiles: ["nobody"] }, strict.profiles)).toThrow(
      "bundle ghost names no profile of the policy",
    );
  });
});
