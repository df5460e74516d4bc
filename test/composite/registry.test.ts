import { describe, expect, it } from "vitest";
import { parsePolicy } from "../../src/config/load.js";
import { ManualClock } from "../../src/domain/clock.js";
import { canCheckRequest, canRefresh } from "../../src/grants/provider.js";
import { createProviders, providerFor } from "../../src/grants/registry.js";

// The SDK must never reach for instance metadata, whatever the provider is given.
process.env.AWS_EC2_METADATA_DISABLED = "true";

const policy = parsePolicy(`profiles:
  - id: eks-session-and-entry
    title: EKS — session and own entry
    cluster: { kind: eks, name: britive-test, region: us-west-2 }
    grant:
      - { type: aws-role, roleArn: "arn:aws:iam::123456789012:role/EKS-Pod-Manager" }
      - type: eks-access-entry
        principalArn: "arn:aws:iam::123456789012:role/people/{user}"
        accessPolicyArn: arn:aws:eks::aws:cluster-access-policy/AmazonEKSViewPolicy
    duration: { default: 1h, max: 2h }
    approval: { channel: C0APPROVALS, approvers: { users: [U0LEAD] } }
`);

describe("the registry with a policy whose only profile has a grant list", () => {
  it("creates the providers of every type the list names, and a composite over them", async () => {
    const providers = await createProviders({
      env: { AWS_REGION: "us-west-2", AWS_ACCESS_KEY_ID: "AKIDEXAMPLE", AWS_SECRET_ACCESS_KEY: "x" },
      policy,
      clock: new ManualClock(new Date()),
    });
    expect([...providers.keys()].sort()).toEqual(["aws-role", "eks-access-entry"]);
    const profile = policy.profiles[0];
    if (!profile) throw new Error("no profile");
    const composite = providerFor(providers, profile);
    expect(composite?.type).toBe("composite");
    // Built once per registry and grant: the same object every time.
    expect(providerFor(providers, profile)).toBe(composite);
    // The aws-role part issues fresh credentials and checks request lengths: the composite does too.
    expect(composite && canRefresh(composite)).toBe(true);
    expect(composite && canCheckRequest(composite)).toBe(true);
  });
});
