import { afterEach, describe, expect, it } from "vitest";
import { REVOKE_POLICY_NAME } from "../../src/grants/aws/revoke-policy.js";
import type { GrantSubject } from "../../src/grants/provider.js";
import { activeGrantOf } from "../contract/provider-contract.js";
import { policySize, ROLE_INLINE_POLICY_LIMIT } from "../fakes/aws-iam.js";
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

type Statement = { Sid: string; Condition: Record<string, Record<string, string | string[]>> };

function policyOnRole(w: AwsWorld): { Statement: Statement[] } | undefined {
  const document = w.fake.rolePolicies.get("EKS-Pod-Manager")?.get(REVOKE_POLICY_NAME);
  return document === undefined ? undefined : JSON.parse(document);
}

const bob: GrantSubject = { slackUserId: "U0BOB", email: "bob@example.com", name: "Bob" };
const person = (i: number): GrantSubject => ({
  slackUserId: `U0P${i}`,
  email: `person.${String(i).padStart(3, "0")}@example.com`,
  name: `P${i}`,
});

async function granted(w: Awaited<ReturnType<typeof setup>>, seconds: number, subject: GrantSubject = alice) {
  const request = requestFor(w.profile, w.clock, seconds, subject);
  const outcome = await w.awsRole.grant(request);
  return { grant: activeGrantOf(request, outcome), key: String(outcome.state.accessKeyId) };
}

describe("aws-role revoke with revokeSessions", () => {
  it("denies the requester's sessions until the session's own end, and nobody else's", async () => {
    const w = await setup(", revokeSessions: true");
    const a = await granted(w, 2 * 3600);
    const b = await granted(w, 2 * 3600, bob);
    await w.clock.advance(600_500);

    const { detail } = await w.awsRole.revoke(a.grant);

    expect(policyOnRole(w)?.Statement).toEqual([
      {
        Sid: "JitbotRevoke20260105T091001Z",
        Effect: "Deny",
        Action: "*",
        Resource: "*",
        Condition: {
          DateLessThan: { "aws:TokenIssueTime": "2026-01-05T09:10:01Z", "aws:CurrentTime": "2026-01-05T10:00:00Z" },
          StringEquals: { "aws:SourceIdentity": "alice@example.com" },
        },
      },
    ]);
    expect(detail).toBe(
      "Denied AWS API calls of arn:aws:iam::123456789012:role/EKS-Pod-Manager sessions of alice@example.com issued before 2026-01-05T09:10:01Z until 2026-01-05T10:00:00.000Z; IAM applies it within a few minutes, and EKS sign-in (sts:GetCallerIdentity) cannot be denied, so kubectl works until the session ends.",
    );
    expect(w.fake.isSessionUsable(a.key)).toBe(false);
    expect(w.fake.isSessionUsable(b.key)).toBe(true);
    // A later grant for Alice is issued after the cut-off, so the deny does not touch it.
    await w.clock.advance(60_000);
    const again = await granted(w, 3600);
    expect(w.fake.isSessionUsable(again.key)).toBe(true);
  });

  it("writes nothing at a natural expiry: the session was cut to the grant and is over", async () => {
    const w = await setup(", revokeSessions: true");
    const a = await granted(w, 3600);
    await w.clock.advance(3600_000);
    const { detail } = await w.awsRole.revoke(a.grant);
    expect(detail).toBe("The AWS session ended at 2026-01-05T10:00:00.000Z; no deny needed.");
    expect(w.fake.calls.filter((c) => c.action === "PutRolePolicy")).toEqual([]);
    expect(policyOnRole(w)).toBeUndefined();
  });

  it("at a natural expiry, denies a last session that STS's 15-minute floor made longer than the grant", async () => {
    const w = await setup(", revokeSessions: true");
    const a = await granted(w, 300); // STS issues 15 minutes at least
    await w.clock.advance(300_000);
    await w.awsRole.revoke(a.grant);
    expect(policyOnRole(w)?.Statement[0]?.Condition.DateLessThan).toEqual({
      "aws:TokenIssueTime": "2026-01-05T09:05:01Z",
      "aws:CurrentTime": "2026-01-05T09:15:00Z",
    });
    expect(w.fake.isSessionUsable(a.key)).toBe(false);
  });

  it("merges people revoked together into one statement, so hundreds of revokes fit IAM's quota", async () => {
    const w = await setup(", revokeSessions: true");
    const people = 150; // the old one-statement-per-person document stopped at about 44
    const grants = [];
    for (let i = 0; i < people; i++) grants.push(await granted(w, 3600, person(i)));
    await w.clock.advance(600_000);
    for (const { grant } of grants) {
      await w.awsRole.revoke(grant);
      await w.clock.advance(1_000);
    }
    const statements = policyOnRole(w)?.Statement ?? [];
    expect(statements).toHaveLength(1);
    expect(statements[0]?.Condition.StringEquals?.["aws:SourceIdentity"]).toHaveLength(people);
    const size = policySize(w.fake.rolePolicies.get("EKS-Pod-Manager")?.get(REVOKE_POLICY_NAME) ?? "");
    expect(size).toBeLessThan(ROLE_INLINE_POLICY_LIMIT);
    expect(grants.every(({ key }) => !w.fake.isSessionUsable(key))).toBe(true);
  });

  it("keeps a statement only while a session it denies can live, then prunes it", async () => {
    const w = await setup(", revokeSessions: true");
    const a = await granted(w, 3600);
    await w.awsRole.revoke(a.grant); // session ends 10:00
    await w.clock.advance(3600_000 + 6 * 60_000); // past the end and the 5-minute clock margin
    const b = await granted(w, 3600, bob);
    const { detail } = await w.awsRole.revoke(b.grant);
    expect(detail).toMatch(/\(removed 1 stale deny statement\); IAM applies it/);
    expect(policyOnRole(w)?.Statement.map((s) => s.Condition.StringEquals?.["aws:SourceIdentity"])).toEqual([
      "bob@example.com",
    ]);
  });

  it("adds a person to an earlier statement only when that cut-off is exact for them", async () => {
    const w = await setup(", revokeSessions: true");
    const a = await granted(w, 3600);
    await w.clock.advance(60_000);
    const b1 = await granted(w, 3600, bob); // issued 09:01
    await w.clock.advance(60_000);
    await w.awsRole.revoke(a.grant); // cut-off 09:02:01
    await w.awsRole.revoke(b1.grant); // Bob's session is older than 09:02:01: same statement
    await w.clock.advance(60_000);
    const b2 = await granted(w, 3600, bob); // 09:03, after that cut-off
    await w.clock.advance(60_000);
    await w.awsRole.revoke(b2.grant); // needs its own cut-off (09:04:01)
    const statements = policyOnRole(w)?.Statement ?? [];
    expect(statements.map((s) => [s.Sid, s.Condition.StringEquals?.["aws:SourceIdentity"]])).toEqual([
      ["JitbotRevoke20260105T090201Z", ["alice@example.com", "bob@example.com"]],
      ["JitbotRevoke20260105T090401Z", "bob@example.com"],
    ]);
    expect([a, b1, b2].map(({ key }) => w.fake.isSessionUsable(key))).toEqual([false, false, false]);
  });

  it("keeps statements jitbot did not write, and reads statements of earlier versions", async () => {
    const w = await setup(", revokeSessions: true");
    w.fake.putRolePolicy(
      "EKS-Pod-Manager",
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
    );
    const b = await granted(w, 3600, bob);
    const { detail } = await w.awsRole.revoke(b.grant);
    expect(detail).toMatch(/\(removed 1 stale deny statement\)/);
    expect(policyOnRole(w)?.Statement.map((s) => s.Sid)).toEqual(["OperatorOwn", "JitbotRevoke20260105T090001Z"]);
  });

  it("revoking after every session has ended deletes a policy left with stale statements only", async () => {
    const w = await setup(", revokeSessions: true");
    const a = await granted(w, 3600);
    await w.awsRole.revoke(a.grant);
    await w.clock.advance(3600_000 + 6 * 60_000);
    const late = await w.awsRole.revoke(a.grant);
    expect(late.detail).toBe("The AWS session ended at 2026-01-05T10:00:00.000Z; no deny needed.");
    expect(policyOnRole(w)).toBeUndefined();
    expect(w.fake.calls.map((c) => c.action)).toContain("DeleteRolePolicy");
  });

  it("says in one sentence that the role's inline policies are full (IAM's 409 LimitExceeded)", async () => {
    const w = await setup(", revokeSessions: true");
    // An operator's own inline policy leaves too little of the role's 10,240 characters.
    const filler = JSON.stringify({
      Version: "2012-10-17",
      Statement: [{ Effect: "Deny", Action: "s3:DeleteBucket", Resource: `arn:aws:s3:::${"b".repeat(10_100)}` }],
    });
    w.fake.putRolePolicy("EKS-Pod-Manager", "operator-guardrails", filler);
    const a = await granted(w, 3600);
    await expect(w.awsRole.revoke(a.grant)).rejects.toMatchObject({
      code: "INVALID_REQUEST",
      retryable: false,
      userMessage:
        "The inline policies of arn:aws:iam::123456789012:role/EKS-Pod-Manager are at IAM's 10,240-character limit, so jitbot could not write its revoke statement; move or shorten the role's other inline policies (managed policies do not count).",
    });
  });

  it("turns an IAM AccessDenied into a sentence naming iam:PutRolePolicy", async () => {
    const w = await setup(", revokeSessions: true");
    const a = await granted(w, 3600);
    w.fake.forbidNext();
    await expect(w.awsRole.revoke(a.grant)).rejects.toMatchObject({
      code: "FORBIDDEN",
      userMessage: expect.stringMatching(
        /give the bot's role iam:PutRolePolicy, iam:GetRolePolicy and iam:DeleteRolePolicy/,
      ),
    });
  });

  it("a deny takes effect only after IAM's propagation delay (the DM says so)", async () => {
    const w = await setup(", revokeSessions: true");
    w.fake.policyPropagationMs = 2 * 60_000;
    const a = await granted(w, 3600);
    await w.awsRole.revoke(a.grant);
    expect(w.fake.isSessionUsable(a.key)).toBe(true);
    await w.clock.advance(2 * 60_000);
    expect(w.fake.isSessionUsable(a.key)).toBe(false);
  });
});

describe("aws-role revoke without revokeSessions", () => {
  it("changes nothing in AWS and says the session ends by itself", async () => {
    const w = await setup("");
    const a = await granted(w, 3600);
    const { detail } = await w.awsRole.revoke(a.grant);
    expect(detail).toBe(
      "The AWS session ends by itself at 2026-01-05T10:00:00.000Z; issued keys cannot be recalled (grant.revokeSessions is off).",
    );
    expect(w.fake.calls.filter((c) => c.service === "iam")).toEqual([]);
    expect(w.warnings.map((x) => x.msg)).toContain(
      "aws-role: revoked before the STS session ends; AWS cannot recall issued keys (grant.revokeSessions is off)",
    );
  });
});
