import { describe, expect, it } from "vitest";
import { bundleProfiles, partsOf } from "../domain/bundle.js";
import { ConfigError, parsePolicy } from "./load.js";

const GROUP = "6f1c2a9e-1b7d-4f3a-9c1e-2d5b8a7f4e10";
const ROLE = "arn:aws:iam::123456789012:role/EKS-Pod-Manager";
const AKS = `{ kind: aks, name: prod-aks, resourceGroup: rg, subscriptionId: "99999999-8888-7777-6666-555555555555" }`;
const EKS = "{ kind: eks, name: britive-test, region: us-west-2 }";

function policy(extra: string, aksGrant = `{ type: entra-group, groupId: "${GROUP}" }`): string {
  return `profiles:
  - id: aks-prod-sre
    title: AKS prod
    cluster: ${AKS}
    grant: ${aksGrant}
    duration: { default: 1h, max: 4h }
    approval: { channel: C0APPROVALS, approvers: { users: [U0LEAD] } }
    ticket: { required: false, pattern: "^OPS-[0-9]+$" }
  - id: eks-prod-pods
    title: EKS pods
    cluster: ${EKS}
    grant: { type: aws-role, roleArn: "${ROLE}" }
    duration: { default: 2h, max: 2h }
    approval: { channel: C0EKS, approvers: { users: [U0OMAR] }, required: 2 }
    justification: { minLength: 20 }
${extra}`;
}

function problems(yaml: string): string[] {
  try {
    parsePolicy(yaml);
    return [];
  } catch (error) {
    if (error instanceof ConfigError) return error.problems;
    throw error;
  }
}

describe("bundles in the policy", () => {
  it.each([
    [
      "an unknown profile id",
      "bundles: [{ id: incident, title: Incident, profiles: [aks-prod-sre, eks-nope] }]",
      'bundles[0].profiles[1]: no profile has the id "eks-nope"',
    ],
    [
      "a bundle id that a profile already has",
      "bundles: [{ id: aks-prod-sre, title: Incident, profiles: [aks-prod-sre, eks-prod-pods] }]",
      'bundles[0].id: "aks-prod-sre" is already the id of profiles[0]; a bundle needs an id of its own',
    ],
    [
      "two bundles with one id",
      "bundles: [{ id: inc, title: A, profiles: [aks-prod-sre, eks-prod-pods] }, { id: inc, title: B, profiles: [aks-prod-sre, eks-prod-pods] }]",
      'bundles[1].id: "inc" is already used by bundles[0]',
    ],
    [
      "a bundle of one",
      "bundles: [{ id: incident, title: Incident, profiles: [aks-prod-sre] }]",
      'bundles[0].profiles: lists one profile; a bundle needs at least two (request "aks-prod-sre" on its own instead)',
    ],
    [
      "an empty bundle",
      "bundles: [{ id: incident, title: Incident, profiles: [] }]",
      "bundles[0].profiles: lists no profile; a bundle needs at least two",
    ],
    [
      "a nested bundle",
      "bundles: [{ id: inner, title: A, profiles: [aks-prod-sre, eks-prod-pods] }, { id: outer, title: B, profiles: [inner, aks-prod-sre] }]",
      'bundles[1].profiles[0]: "inner" is a bundle; a bundle lists profiles, not other bundles',
    ],
    [
      "a profile listed twice",
      "bundles: [{ id: incident, title: Incident, profiles: [aks-prod-sre, aks-prod-sre] }]",
      'bundles[0].profiles[1]: "aks-prod-sre" is listed twice',
    ],
    [
      "an unknown key",
      "bundles: [{ id: incident, title: Incident, profiles: [aks-prod-sre, eks-prod-pods], approvers: [U0X] }]",
      "bundles[0].approvers: unknown key",
    ],
  ])("refuses %s in one sentence", (_case, extra, sentence) => {
    expect(problems(policy(extra))).toEqual([sentence]);
  });

  it("makes a bundle the profile it is requested as, with the strictest rules of its profiles", () => {
    const parsed = parsePolicy(
      policy("bundles: [{ id: incident, title: Incident, profiles: [aks-prod-sre, eks-prod-pods] }]"),
    );
    const [bundle] = bundleProfiles(parsed);
    expect(bundle?.duration).toEqual({ default: 3600, max: 7200 });
    expect(bundle?.justification.minLength).toBe(20);
    expect(bundle?.approval.channel).toBe("C0APPROVALS");
    expect(bundle?.approval.selfApproval).toBe(false);
    expect(bundle && partsOf(bundle).map((p) => `${p.id}:${p.grant.type}`)).toEqual([
      "aks-prod-sre:entra-group",
      "eks-prod-pods:aws-role",
    ]);
  });
});

describe("grant: one or a list", () => {
  it("normalises a list of two into a composite whose parts are the profile with one grant each", () => {
    const parsed = parsePolicy(
      policy("", `[{ type: entra-group, groupId: "${GROUP}" }, { type: entra-pim-group, groupId: "${GROUP}" }]`),
    );
    const profile = parsed.profiles[0];
    expect(profile?.grant.type).toBe("composite");
    expect(profile && partsOf(profile).map((p) => [p.id, p.grant.type])).toEqual([
      ["aks-prod-sre", "entra-group"],
      ["aks-prod-sre", "entra-pim-group"],
    ]);
  });

  it("reads a list of one as that one grant", () => {
    const parsed = parsePolicy(policy("", `[{ type: entra-group, groupId: "${GROUP}" }]`));
    expect(parsed.profiles[0]?.grant.type).toBe("entra-group");
  });

  it.each([
    [
      "a grant type that does not fit the cluster, at its place in the list",
      `[{ type: entra-group, groupId: "${GROUP}" }, { type: aws-role, roleArn: "${ROLE}" }]`,
      "profiles[0].grant[1].type: aws-role does not fit an AKS cluster",
    ],
    ["an empty list", "[]", "profiles[0].grant: needs at least one grant"],
    [
      "a bad key inside a list entry",
      `[{ type: entra-group, groupId: "not-a-uuid" }]`,
      "profiles[0].grant[0].groupId: must be an object id (a GUID such as 6f1c2a9e-1b7d-4f3a-9c1e-2d5b8a7f4e10)",
    ],
    [
      "a bad key in a single grant, named as before",
      `{ type: entra-group, groupId: "not-a-uuid" }`,
      "profiles[0].grant.groupId: must be an object id (a GUID such as 6f1c2a9e-1b7d-4f3a-9c1e-2d5b8a7f4e10)",
    ],
    [
      "an unknown grant type, as before",
      "{ type: nope }",
      "profiles[0].grant.type: Invalid discriminator value. Expected 'entra-group'",
    ],
    ["neither a mapping nor a list", "7", "profiles[0].grant: expected a mapping or a list, got a number"],
  ])("refuses %s in one sentence", (_case, grant, sentence) => {
    const found = problems(policy("", grant));
    expect(found).toHaveLength(1);
    expect(found[0]?.startsWith(sentence)).toBe(true);
  });
});
