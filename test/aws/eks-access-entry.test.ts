import { afterEach, describe, expect, it } from "vitest";
import { activeGrantOf, providerContract } from "../contract/provider-contract.js";
import { type AwsWorld, alice, awsPolicy, profileOf, requestFor, startWorld } from "./helpers.js";

const VIEW = "arn:aws:eks::aws:cluster-access-policy/AmazonEKSViewPolicy";
const ALICE_ROLE = "arn:aws:iam::123456789012:role/people/alice";

providerContract("eks-access-entry", async () => {
  const world = await startWorld();
  const profile = profileOf(world.policy, "eks-view");
  let people = 0;
  return {
    provider: world.accessEntry,
    // Each request is for a different person, so contract cases do not share an entry.
    newRequest: () => {
      const user = `person${++people}`;
      return requestFor(profile, world.clock, 3600, { slackUserId: "U0X", email: `${user}@example.com`, name: user });
    },
    async isGranted(request) {
      const user = request.subject.email.split("@")[0];
      const entry = world.fake.accessEntries.get(`britive-test|arn:aws:iam::123456789012:role/people/${user}`);
      return entry?.policies.has(VIEW) ?? false;
    },
    throttleNext: (times) => world.fake.throttleNext(times),
    forbidNext: () => world.fake.forbidNext(),
    close: () => world.fake.close(),
  };
});

let world: AwsWorld | undefined;
afterEach(async () => {
  await world?.fake.close();
  world = undefined;
});

async function setup() {
  world = await startWorld();
  return { ...world, profile: profileOf(world.policy, "eks-view") };
}

describe("eks-access-entry", () => {
  it("creates a tagged entry for the requester's own role and associates the policy in namespace scope", async () => {
    const w = await setup();
    const request = requestFor(w.profile, w.clock, 3600, alice);
    const outcome = await w.accessEntry.grant(request);
    const [create, associate] = w.fake.calls;
    expect(create).toMatchObject({
      action: "CreateAccessEntry",
      body: { principalArn: ALICE_ROLE, tags: { "managed-by": "jitbot", "jit-request-id": request.requestId } },
    });
    expect(associate).toMatchObject({
      action: "AssociateAccessPolicy",
      params: { clusterName: "britive-test", principalArn: ALICE_ROLE },
      body: { policyArn: VIEW, accessScope: { type: "namespace", namespaces: ["team-a"] } },
    });
    expect(outcome.state).toEqual({
      clusterName: "britive-test",
      principalArn: ALICE_ROLE,
      policyArn: VIEW,
      createdEntry: true,
    });
    expect(outcome.instructions.sections.map((s) => s.code)).toEqual([
      "aws eks update-kubeconfig --name britive-test --region us-west-2",
      "kubectl auth can-i --list --namespace team-a",
    ]);
    const { detail } = await w.accessEntry.revoke(activeGrantOf(request, outcome));
    expect(detail).toBe(`Deleted the access entry of ${ALICE_ROLE} on britive-test.`);
    expect(w.fake.accessEntries.size).toBe(0);
  });

  it("leaves a standing entry (not made by jitbot) in place and removes only its policy association", async () => {
    const w = await setup();
    w.fake.accessEntries.set(`britive-test|${ALICE_ROLE}`, {
      clusterName: "britive-test",
      principalArn: ALICE_ROLE,
      tags: {},
      policies: new Map(),
    });
    const request = requestFor(w.profile, w.clock, 3600, alice);
    const outcome = await w.accessEntry.grant(request);
    expect(outcome.state.createdEntry).toBe(false);
    const { detail } = await w.accessEntry.revoke(activeGrantOf(request, outcome));
    expect(detail).toMatch(/^Standing access entry of .* left in place; removed jitbot's policy association\.$/);
    expect(w.fake.accessEntries.get(`britive-test|${ALICE_ROLE}`)?.policies.size).toBe(0);
  });

  it("refuses an email that makes no valid IAM name, before calling EKS", async () => {
    const w = await setup();
    const request = requestFor(w.profile, w.clock, 3600, { ...alice, email: "o'brien@example.com" });
    await expect(w.accessEntry.grant(request)).rejects.toMatchObject({
      code: "IDENTITY_NOT_FOUND",
      userMessage:
        "Your email does not make a valid IAM principal ARN for eks-view; ask the operator to check grant.principalArn.",
    });
    expect(w.fake.calls).toEqual([]);
  });

  it("names the missing principal when EKS rejects it", async () => {
    const w = await setup();
    w.fake.failNext(400, "InvalidParameterException", "The specified principalArn is invalid: invalid principal.");
    await expect(w.accessEntry.grant(requestFor(w.profile, w.clock, 3600, alice))).rejects.toMatchObject({
      code: "IDENTITY_NOT_FOUND",
      userMessage: `EKS did not accept ${ALICE_ROLE} as your IAM principal; ask the operator to create it or fix grant.principalArn.`,
    });
  });

  it("names the permissions when EKS answers 403", async () => {
    const w = await setup();
    w.fake.forbidNext();
    await expect(w.accessEntry.grant(requestFor(w.profile, w.clock, 3600, alice))).rejects.toMatchObject({
      code: "FORBIDDEN",
      userMessage: expect.stringMatching(
        /eks:CreateAccessEntry, eks:TagResource, eks:DescribeAccessEntry, eks:AssociateAccessPolicy, eks:DisassociateAccessPolicy, eks:ListAssociatedAccessPolicies and eks:DeleteAccessEntry/,
      ),
    });
  });

  it("on a CONFIG_MAP cluster (no access-entry API) says which authentication mode to set", async () => {
    const w = await setup();
    w.fake.clusterAuthenticationMode.set("britive-test", "CONFIG_MAP");
    await expect(w.accessEntry.grant(requestFor(w.profile, w.clock, 3600, alice))).rejects.toMatchObject({
      code: "INVALID_REQUEST",
      retryable: false,
      userMessage:
        "EKS cluster britive-test uses only the aws-auth ConfigMap, so it has no access entries; set its authentication mode to API_AND_CONFIG_MAP (aws eks update-cluster-config --name britive-test --region us-west-2 --access-config authenticationMode=API_AND_CONFIG_MAP).",
    });
  });

  it("sends access scopes the strict fake accepts, for namespace and cluster scope", async () => {
    world = await startWorld();
    const w = world;
    const clusterWide = awsPolicy(
      "",
      `  - id: eks-admin
    title: EKS admin
    cluster: { kind: eks, name: britive-test, region: us-west-2 }
    grant:
      type: eks-access-entry
      principalArn: "arn:aws:iam::123456789012:role/people/{user}"
      accessPolicyArn: arn:aws:eks::aws:cluster-access-policy/AmazonEKSClusterAdminPolicy
    duration: { default: 1h, max: 4h }
    approval: { channel: C0APPROVALS, approvers: { users: [U0LEAD] } }`,
    );
    await w.accessEntry.grant(requestFor(profileOf(w.policy, "eks-view"), w.clock, 3600, alice));
    await w.accessEntry.grant(
      requestFor(profileOf(clusterWide, "eks-admin"), w.clock, 3600, { ...alice, email: "bo@example.com" }),
    );
    const scopes = w.fake.calls.filter((c) => c.action === "AssociateAccessPolicy").map((c) => c.body);
    expect(scopes).toMatchObject([
      { accessScope: { type: "namespace", namespaces: ["team-a"] } },
      { accessScope: { type: "cluster" } },
    ]);
  });
});
