import { afterEach, describe, expect, it } from "vitest";
import { REVOKE_POLICY_NAME } from "../../src/grants/aws/revoke-policy.js";
import { activeGrantOf } from "../contract/provider-contract.js";
import { type AwsWorld, alice, profileOf, requestFor, startWorld } from "./helpers.js";

let world: AwsWorld | undefined;
afterEach(async () => {
  await world?.fake.close();
  world = undefined;
});

async function setup(roleGrant: string) {
  world = await startWorld(roleGrant);
  return { ...world, profile: profileOf(world.policy, "eks-pod-manager") };
}

function policyOnRole(w: AwsWorld): { Statement: Record<string, unknown>[] } | undefined {
  const document = w.fake.rolePolicies.get("EKS-Pod-Manager")?.get(REVOKE_POLICY_NAME);
  return document === undefined ? undefined : JSON.parse(document);
}

const bob = { slackUserId: "U0BOB", email: "bob@example.com", name: "Bob" };

describe("aws-role revoke with revokeSessions", () => {
  it("puts AWS's revoke-older-sessions deny on the role, for the requester only", async () => {
    const w = await setup(", revokeSessions: true");
    const aliceRequest = requestFor(w.profile, w.clock, 2 * 3600);
    const aliceOutcome = await w.awsRole.grant(aliceRequest);
    const bobOutcome = await w.awsRole.grant(requestFor(w.profile, w.clock, 2 * 3600, bob));
    await w.clock.advance(600_500);

    const { detail } = await w.awsRole.revoke(activeGrantOf(aliceRequest, aliceOutcome));

    expect(policyOnRole(w)?.Statement).toEqual([
      {
        Sid: expect.stringMatching(/^JitbotRevoke[0-9a-f]{16}$/),
        Effect: "Deny",
        Action: "*",
        Resource: "*",
        Condition: {
          DateLessThan: { "aws:TokenIssueTime": "2026-01-05T09:10:01Z" },
          StringEquals: { "aws:SourceIdentity": "alice@example.com" },
        },
      },
    ]);
    expect(detail).toBe(
      "Denied AWS API calls of arn:aws:iam::123456789012:role/EKS-Pod-Manager sessions of alice@example.com issued before 2026-01-05T09:10:01Z; EKS sign-in (sts:GetCallerIdentity) cannot be denied, so kubectl works until the session ends at 2026-01-05T10:00:00.000Z.",
    );
    expect(w.fake.isSessionUsable(String(aliceOutcome.state.accessKeyId))).toBe(false);
    expect(w.fake.isSessionUsable(String(bobOutcome.state.accessKeyId))).toBe(true);
    // A later grant for Alice is issued after the cut-off, so the old deny does not touch it.
    await w.clock.advance(60_000);
    const again = await w.awsRole.grant(requestFor(w.profile, w.clock, 3600));
    expect(w.fake.isSessionUsable(String(again.state.accessKeyId))).toBe(true);
  });

  it("keeps one statement per person, moves it forward, and drops statements older than 12 h", async () => {
    const w = await setup(", revokeSessions: true");
    w.fake.rolePolicies.set(
      "EKS-Pod-Manager",
      new Map([
        [
          REVOKE_POLICY_NAME,
          JSON.stringify({
            Version: "2012-10-17",
            Statement: [
              { Sid: "OperatorOwn", Effect: "Deny", Action: "s3:*", Resource: "*" },
              {
                Sid: "JitbotRevoke0000000000000000",
                Effect: "Deny",
                Action: "*",
                Resource: "*",
                Condition: {
                  DateLessThan: { "aws:TokenIssueTime": "2026-01-04T08:00:00Z" },
                  StringEquals: { "aws:SourceIdentity": "carol@example.com" },
                },
              },
            ],
          }),
        ],
      ]),
    );
    const r1 = requestFor(w.profile, w.clock, 3600, bob);
    const g1 = activeGrantOf(r1, await w.awsRole.grant(r1));
    const first = await w.awsRole.revoke(g1);
    expect(first.detail).toMatch(/\(removed 1 stale deny statement\); EKS sign-in/);
    await w.clock.advance(120_000);
    const r2 = requestFor(w.profile, w.clock, 3600, bob);
    await w.awsRole.revoke(activeGrantOf(r2, await w.awsRole.grant(r2)));

    const statements = policyOnRole(w)?.Statement ?? [];
    expect(statements.map((s) => s.Sid)).toEqual(["OperatorOwn", expect.stringMatching(/^JitbotRevoke/)]);
    expect(JSON.stringify(statements)).toContain('"aws:TokenIssueTime":"2026-01-05T09:02:01Z"');
  });

  it("revoking after every session has ended writes no deny and deletes a policy left with stale statements only", async () => {
    const w = await setup(", revokeSessions: true");
    const request = requestFor(w.profile, w.clock, 3600);
    const grant = activeGrantOf(request, await w.awsRole.grant(request));
    await w.awsRole.revoke(grant);
    await w.clock.advance(13 * 3600_000);
    const late = await w.awsRole.revoke(grant);
    expect(late.detail).toMatch(/^The AWS session ended at 2026-01-05T10:00:00.000Z; no deny needed\.$/);
    expect(policyOnRole(w)).toBeUndefined();
    expect(w.fake.calls.map((c) => c.action)).toContain("DeleteRolePolicy");
  });

  it("turns an IAM AccessDenied into a sentence naming iam:PutRolePolicy", async () => {
    const w = await setup(", revokeSessions: true");
    const request = requestFor(w.profile, w.clock, 3600);
    const grant = activeGrantOf(request, await w.awsRole.grant(request));
    w.fake.forbidNext();
    await expect(w.awsRole.revoke(grant)).rejects.toMatchObject({
      code: "FORBIDDEN",
      userMessage: expect.stringMatching(
        /give the bot's role iam:PutRolePolicy, iam:GetRolePolicy and iam:DeleteRolePolicy/,
      ),
    });
  });
});

describe("aws-role revoke without revokeSessions", () => {
  it("changes nothing in AWS and says the session ends by itself", async () => {
    const w = await setup("");
    const request = requestFor(w.profile, w.clock, 3600, alice);
    const outcome = await w.awsRole.grant(request);
    const { detail } = await w.awsRole.revoke(activeGrantOf(request, outcome));
    expect(detail).toBe(
      "The AWS session ends by itself at 2026-01-05T10:00:00.000Z; issued keys cannot be recalled (grant.revokeSessions is off).",
    );
    expect(w.fake.calls.filter((c) => c.service === "iam")).toEqual([]);
    expect(w.warnings.map((x) => x.msg)).toContain(
      "aws-role: revoked before the STS session ends; AWS cannot recall issued keys (grant.revokeSessions is off)",
    );
  });
});
