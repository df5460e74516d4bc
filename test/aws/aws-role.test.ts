import { afterEach, describe, expect, it } from "vitest";
import { ProviderError } from "../../src/grants/errors.js";
import type { GrantOutcome } from "../../src/grants/provider.js";
import { activeGrantOf } from "../contract/provider-contract.js";
import { type AwsWorld, alice, profileOf, ROLE_ARN, requestFor, startWorld } from "./helpers.js";

let world: AwsWorld | undefined;
afterEach(async () => {
  await world?.fake.close();
  world = undefined;
});

async function setup(roleGrant = "") {
  world = await startWorld(roleGrant);
  return { ...world, profile: profileOf(world.policy, "eks-pod-manager") };
}

function assumeRoleCalls(w: AwsWorld) {
  return w.fake.calls.filter((c) => c.action === "AssumeRole").map((c) => c.params);
}

async function failureOf(promise: Promise<unknown>): Promise<ProviderError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  if (!(error instanceof ProviderError)) throw new Error(`expected a ProviderError, got ${String(error)}`);
  return error;
}

describe("aws-role grant", () => {
  it("assumes the role as the requester: session name, SourceIdentity, tags and ExternalId", async () => {
    const w = await setup(', externalId: "jit-ext-42", sessionTags: { team: sre }');
    await w.awsRole.grant(requestFor(w.profile, w.clock, 3600, { ...alice, email: "alice+ops@example.com" }));
    const [params] = assumeRoleCalls(w);
    expect(params).toMatchObject({
      Action: "AssumeRole",
      RoleArn: ROLE_ARN,
      RoleSessionName: "alice+ops@example.com",
      SourceIdentity: "alice+ops@example.com",
      DurationSeconds: "3600",
      ExternalId: "jit-ext-42",
    });
    const session = w.fake.sessions[0];
    expect(session?.tags).toEqual({
      team: "sre",
      "jit-request-id": expect.stringMatching(/^req-\d+$/),
      "jit-requester": "alice+ops@example.com",
    });
  });

  it.each([
    ["a 30m grant gets a 30m session", "", 1800, 1800],
    ["an 8h grant gets one role maximum (default 1h) and refreshes later", "", 8 * 3600, 3600],
    ["an 8h grant on a 4h role gets 4h", ", maxSessionDuration: 4h", 8 * 3600, 4 * 3600],
    ["a 24h grant on a 12h role gets STS's 12h ceiling", ", maxSessionDuration: 12h", 24 * 3600, 43200],
    ["a 5m grant (refused at request time) would still get STS's 15m floor", "", 300, 900],
  ])("%s", async (_sentence, grant, duration, expected) => {
    const w = await setup(grant);
    // The role in IAM allows what the profile asks (IAM's default is 1 h).
    w.fake.roleMaxSessionDuration.set(ROLE_ARN, Math.max(3600, expected));
    const outcome = await w.awsRole.grant(requestFor(w.profile, w.clock, duration));
    expect(assumeRoleCalls(w)[0]?.DurationSeconds).toBe(String(expected));
    expect(outcome.providerExpiresAt?.getTime()).toBe(w.clock.now().getTime() + expected * 1000);
    expect(outcome.state.sessionExpiresAt).toBe(outcome.providerExpiresAt?.toISOString());
  });

  it("warns (without secrets) when STS's 15-minute floor makes the session outlive the grant", async () => {
    const w = await setup();
    await w.awsRole.grant(requestFor(w.profile, w.clock, 300));
    expect(w.warnings.map((x) => x.msg)).toContain("aws-role: the STS session (15 min minimum) outlives the grant");
  });
});

const CHAINING_MESSAGE =
  "The requested DurationSeconds exceeds the 1 hour session limit for roles assumed by role chaining.";

describe("aws-role errors become one sentence", () => {
  it.each([
    [
      "AccessDenied names the trust policy to fix",
      (w: AwsWorld) => w.fake.forbidNext(),
      "FORBIDDEN",
      /may not assume arn:aws:iam::123456789012:role\/EKS-Pod-Manager; its trust policy must allow .*sts:AssumeRole, sts:SetSourceIdentity and sts:TagSession/,
    ],
    [
      "ValidationError over the role's maximum names MaxSessionDuration",
      (w: AwsWorld) => w.fake.roleMaxSessionDuration.set(ROLE_ARN, 3600),
      "INVALID_REQUEST",
      /maximum session duration in IAM is below 4h; raise the role's MaxSessionDuration or lower grant.maxSessionDuration/,
    ],
    [
      "role chaining over 1h names the 1-hour cap",
      (w: AwsWorld) => w.fake.failNext(400, "ValidationError", CHAINING_MESSAGE),
      "INVALID_REQUEST",
      /caps sessions of a role assumed from another role session at 1 hour; set grant.maxSessionDuration to 1h/,
    ],
    [
      "RegionDisabledException names the region to activate",
      (w: AwsWorld) => w.fake.disabledRegions.add("us-west-2"),
      "INVALID_REQUEST",
      /STS is not activated in us-west-2; activate it in the IAM account settings/,
    ],
    [
      "STS's 400 Throttling is retryable",
      (w: AwsWorld) => w.fake.throttleNext(1, "sts"),
      "THROTTLED",
      /AWS is throttling jitbot's requests; it will try again shortly\./,
    ],
    [
      "a 500 is retryable and says jitbot will try again",
      (w: AwsWorld) => w.fake.failNext(500, "InternalFailure", "boom"),
      "UNAVAILABLE",
      /jitbot will try again/,
    ],
  ])("%s", async (_sentence, arrange, code, message) => {
    const w = await setup(", maxSessionDuration: 4h");
    arrange(w);
    const error = await failureOf(w.awsRole.grant(requestFor(w.profile, w.clock, 4 * 3600)));
    expect(error.code).toBe(code);
    expect(error.userMessage).toMatch(message);
    expect(error.userMessage.split(/\.\s/).length).toBe(1);
    expect(error.retryable).toBe(code === "THROTTLED" || code === "UNAVAILABLE");
  });

  it("a bot running as a role session (IRSA, Pod Identity) gets STS's 1-hour role-chaining cap, named", async () => {
    world = await startWorld(", maxSessionDuration: 4h", { AWS_SESSION_TOKEN: "FwoGZXIvYXdzEBotSessionToken" });
    const w = world;
    w.fake.roleMaxSessionDuration.set(ROLE_ARN, 4 * 3600); // the role allows 4 h; chaining still caps at 1 h
    const error = await failureOf(
      w.awsRole.grant(requestFor(profileOf(w.policy, "eks-pod-manager"), w.clock, 4 * 3600)),
    );
    expect(error.userMessage).toMatch(/caps sessions of a role assumed from another role session at 1 hour/);
  });

  it("an IAM role left at its default MaxSessionDuration (1 h) refuses a 4 h session, named", async () => {
    const w = await setup(", maxSessionDuration: 4h");
    const error = await failureOf(w.awsRole.grant(requestFor(w.profile, w.clock, 4 * 3600)));
    expect(error.userMessage).toMatch(
      /maximum session duration in IAM is below 4h; raise the role's MaxSessionDuration/,
    );
  });

  it.each([
    [
      "PackedPolicyTooLarge names grant.sessionTags",
      "PackedPolicyTooLarge",
      "Packed size of session tags consumes 112% of allotted space.",
      /use fewer or shorter grant\.sessionTags/,
    ],
    [
      "another ValidationError names what jitbot sends",
      "ValidationError",
      "1 validation error detected: Value 'x' at 'tags.1.member.key' failed to satisfy constraint",
      /STS refused the session name, source identity, external id or tags/,
    ],
  ])("%s", async (_sentence, code, message, expected) => {
    const w = await setup();
    w.fake.failNext(400, code, message);
    const error = await failureOf(w.awsRole.grant(requestFor(w.profile, w.clock)));
    expect(error).toMatchObject({ code: "INVALID_REQUEST", retryable: false });
    expect(error.userMessage).toMatch(expected);
  });

  it("a 429 carries Retry-After as retryAfterMs", async () => {
    const w = await setup();
    w.fake.throttleNext(1, "http429");
    const error = await failureOf(w.awsRole.grant(requestFor(w.profile, w.clock)));
    expect(error).toMatchObject({ code: "THROTTLED", retryable: true, retryAfterMs: 1000 });
  });
});

describe("aws-role refresh", () => {
  it("issues a new session while the grant lasts, never past its end", async () => {
    const w = await setup();
    const request = requestFor(w.profile, w.clock, 8 * 3600);
    const first = await w.awsRole.grant(request);
    const grant = activeGrantOf(request, first);
    await w.clock.advance(3600_000);
    const second = await w.awsRole.refresh(grant, w.clock.now());
    expect(second.state.accessKeyId).not.toBe(first.state.accessKeyId);
    expect(second.instructions.summary).toMatch(/^Fresh temporary AWS credentials/);
    await w.clock.advance(6.5 * 3600_000); // 30 minutes left
    const third = await w.awsRole.refresh(grant, w.clock.now());
    expect(third.providerExpiresAt?.toISOString()).toBe(request.expiresAt.toISOString());
    expect(assumeRoleCalls(w).map((p) => p.DurationSeconds)).toEqual(["3600", "3600", "1800"]);
  });

  it("refuses with a sentence when under 15 minutes remain or the grant is over", async () => {
    const w = await setup(", revokeSessions: true");
    const request = requestFor(w.profile, w.clock, 2 * 3600);
    const grant = activeGrantOf(request, await w.awsRole.grant(request));
    await w.clock.advance(2 * 3600_000 - 600_000);
    expect((await failureOf(w.awsRole.refresh(grant, w.clock.now()))).userMessage).toMatch(
      /Less than 15 minutes of this access remain and AWS cannot issue a shorter session/,
    );
    await w.clock.advance(600_000);
    expect((await failureOf(w.awsRole.refresh(grant, w.clock.now()))).userMessage).toBe(
      "This access has ended; request it again to get new credentials.",
    );
    expect(assumeRoleCalls(w)).toHaveLength(1);
  });
});

describe("aws-role checkRequest", () => {
  it.each([
    ["a 10m request is refused: STS cannot end a session that early", "", 600, /less than 15 minutes, so a 10m grant/],
    [
      "a 10m request is refused even with revokeSessions: EKS sign-in ignores the deny",
      ", revokeSessions: true",
      600,
      /ask for at least 15m\.$/,
    ],
    ["an 8h request on a 1h role is fine: refresh covers it", "", 8 * 3600, undefined],
    ["a 15m request is fine", "", 900, undefined],
  ])("%s", async (_sentence, grant, seconds, expected) => {
    const w = await setup(grant);
    const answer = w.awsRole.checkRequest(w.profile, seconds);
    if (expected === undefined) expect(answer).toBeUndefined();
    else expect(answer).toMatch(expected);
  });
});

describe("aws-role DM content", () => {
  it("gives exports, a credentials profile, a kubeconfig user, the update-kubeconfig line and can-i", async () => {
    const w = await setup();
    const outcome: GrantOutcome = await w.awsRole.grant(requestFor(w.profile, w.clock, 3600));
    const s = w.fake.sessions[0];
    if (!s) throw new Error("no session");
    const [shell, file, oneLiner, kubeconfig, canI] = outcome.instructions.sections;
    expect(shell).toMatchObject({ secret: true, heading: "Shell (expires 2026-01-05 10:00 UTC)" });
    expect(shell?.code).toContain(
      `export AWS_ACCESS_KEY_ID=${s.accessKeyId} AWS_SECRET_ACCESS_KEY=${s.secretAccessKey} AWS_SESSION_TOKEN=${s.sessionToken}`,
    );
    expect(file).toMatchObject({ secret: true });
    expect(file?.code).toContain("[jit-eks-pod-manager]\naws_access_key_id = ");
    expect(file?.code).toContain(`aws_session_token = ${s.sessionToken}`);
    expect(oneLiner?.code).toBe(
      "aws eks update-kubeconfig --name britive-test --region us-west-2 --profile jit-eks-pod-manager",
    );
    expect(kubeconfig?.code).toContain("apiVersion: client.authentication.k8s.io/v1beta1");
    expect(kubeconfig?.code).toContain(
      "args: [eks, get-token, --cluster-name, britive-test, --region, us-west-2, --output, json]",
    );
    expect(kubeconfig?.code).toContain("value: jit-eks-pod-manager");
    expect(canI?.code).toBe("kubectl auth can-i --list");
    for (const section of [oneLiner, kubeconfig, canI]) {
      expect(section?.secret).toBeFalsy();
      expect(JSON.stringify(section)).not.toContain(s.secretAccessKey);
      expect(JSON.stringify(section)).not.toContain(s.sessionToken);
    }
    expect(outcome.instructions.notes.join(" ")).toMatch(/AWS cannot recall issued keys/);
  });

  it("with revokeSessions, says honestly that the deny needs a few minutes and that kubectl outlives it", async () => {
    const w = await setup(", revokeSessions: true");
    const outcome = await w.awsRole.grant(requestFor(w.profile, w.clock, 3600));
    expect(outcome.instructions.notes).toContain(
      "An early revoke blocks these keys for AWS API calls within a few minutes (IAM applies policy changes with a short delay); kubectl keeps working until 2026-01-05 10:00 UTC, because EKS sign-in (sts:GetCallerIdentity) cannot be denied.",
    );
  });
});
