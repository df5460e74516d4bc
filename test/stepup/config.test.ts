/**
 * `approval.stepUp` in the policy, and what the environment must give it: JITBOT_PUBLIC_URL is
 * refused (one sentence, saying why) by `check-config`, `doctor` and the bot's start-up.
 */
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, describe, expect, it, vi } from "vitest";
import { ConfigError, parsePolicy } from "../../src/config/load.js";
import { stepUpChecks } from "../../src/doctor/step-up.js";
import { main } from "../../src/run.js";
import { deriveChecks, isWellFormedState, newState } from "../../src/stepup/derive.js";
import { publicUrlProblem, readStepUpSettings, redirectUri } from "../../src/stepup/settings.js";
import { jitbot } from "../doctor/output.js";
import { startFakeEntraOidc } from "../fakes/entra-oidc.js";
import { tempDir } from "../support/temp.js";
import { CLIENT_ID, CLIENT_SECRET, REDIRECT_URI, stepUpPolicy, TENANT_ID } from "./harness.js";

const tmp = tempDir("jitbot-step-up-config-");
afterAll(() => tmp.cleanup());
const example = new URL("../../jitbot.example.yaml", import.meta.url).pathname;
const NO_URL =
  "aks-prod-sre, aks-prod-dev use approval.stepUp, but JITBOT_PUBLIC_URL is not set: an approver's browser must reach jitbot at a public URL to finish the Entra sign-in that makes the approval count (set it to e.g. https://jitbot.example.com).";

/** The shipped example with `stepUp` added to its first profile's approval. */
function withStepUp(value: string): string {
  return readFileSync(example, "utf8").replace(
    "selfApproval: false # a requester never approves their own request",
    `selfApproval: false\n      stepUp: ${value}`,
  );
}

function file(name: string, text: string): string {
  const path = join(tmp.dir, name);
  writeFileSync(path, text);
  return path;
}

describe("approval.stepUp in the policy", () => {
  it.each([
    ["entra", { provider: "entra" }],
    ["{ provider: entra }", { provider: "entra" }],
    ["{ provider: entra, authenticationContext: C7 }", { provider: "entra", authenticationContext: "c7" }],
  ])("reads %s", (value, expected) => {
    const policy = parsePolicy(withStepUp(value));
    expect(policy.profiles[0]?.approval.stepUp).toEqual(expected);
    expect(policy.profiles[1]?.approval.stepUp).toBeUndefined();
  });

  it.each([
    ["okta", 'profiles[0].approval.stepUp.provider: must be "entra" (the one step-up sign-in jitbot offers)'],
    [
      "{ provider: entra, authenticationContext: c26 }",
      "profiles[0].approval.stepUp.authenticationContext: must be an Entra authentication context id, c1 to c25",
    ],
    ["{ provider: entra, maxAge: 10m }", "profiles[0].approval.stepUp.maxAge: unknown key"],
  ])("refuses %s, naming the key", (value, problem) => {
    expect(() => parsePolicy(withStepUp(value))).toThrow(ConfigError);
    try {
      parsePolicy(withStepUp(value));
    } catch (error) {
      expect((error as ConfigError).problems).toContain(problem);
    }
  });
});

describe("JITBOT_PUBLIC_URL", () => {
  const policy = stepUpPolicy();
  it.each([
    [undefined, NO_URL],
    [
      "jitbot.example.com",
      "JITBOT_PUBLIC_URL is not a URL (jitbot.example.com): aks-prod-sre, aks-prod-dev use approval.stepUp, and approvers' browsers are sent there to finish their sign-in.",
    ],
    [
      "http://jitbot.example.com",
      "JITBOT_PUBLIC_URL must be https (got http): Entra ID sends the sign-in back only to https redirect URIs, except on localhost.",
    ],
    [
      "https://jitbot.example.com/?x=1",
      "JITBOT_PUBLIC_URL must not carry a query or fragment: jitbot appends its own paths (/stepup/start, /stepup/callback) to it.",
    ],
    ["https://jitbot.example.com", undefined],
    ["http://localhost:3000", undefined],
  ])("%s: %s", (value, problem) => {
    expect(publicUrlProblem(policy, value === undefined ? {} : { JITBOT_PUBLIC_URL: value })).toBe(problem);
  });

  it("is not asked for when no profile uses step-up", () => {
    expect(publicUrlProblem(parsePolicy(withStepUp("entra").replace("stepUp: entra", "")), {})).toBeUndefined();
  });

  it("gives the redirect URI to register, under a path prefix too", () => {
    expect(redirectUri(new URL("https://jitbot.example.com"))).toBe("https://jitbot.example.com/stepup/callback");
    expect(redirectUri(new URL("https://example.com/jitbot/"))).toBe("https://example.com/jitbot/stepup/callback");
  });

  it("takes the Entra app from the bot's AZURE_* settings, or the JITBOT_STEPUP_* ones first", () => {
    const env = {
      JITBOT_PUBLIC_URL: "https://jitbot.example.com",
      AZURE_TENANT_ID: TENANT_ID,
      AZURE_CLIENT_ID: "bot-app",
      AZURE_CLIENT_SECRET: "bot-secret",
      SLACK_SIGNING_SECRET: "signing",
    };
    expect(readStepUpSettings(policy, env).settings).toMatchObject({
      issuer: new URL(`https://login.microsoftonline.com/${TENANT_ID}/v2.0`),
      clientId: "bot-app",
      clientSecret: "bot-secret",
      derivationKey: "signing",
    });
    const own = { ...env, JITBOT_STEPUP_CLIENT_ID: "step-up-app", JITBOT_STEPUP_CLIENT_SECRET: "step-up-secret" };
    expect(readStepUpSettings(policy, own).settings).toMatchObject({
      clientId: "step-up-app",
      clientSecret: "step-up-secret",
    });
    const { problems } = readStepUpSettings(policy, { JITBOT_PUBLIC_URL: "https://jitbot.example.com" });
    expect(problems).toEqual([
      "approval.stepUp needs the Entra tenant: set AZURE_TENANT_ID (or entra.tenantId in the policy) so jitbot knows which tenant approvers sign in to.",
      "approval.stepUp needs an Entra app to sign approvers in with: set AZURE_CLIENT_ID (or JITBOT_STEPUP_CLIENT_ID).",
      "approval.stepUp needs the Entra app's client secret to redeem a sign-in: set JITBOT_STEPUP_CLIENT_SECRET (or AZURE_CLIENT_SECRET).",
      "approval.stepUp needs SLACK_SIGNING_SECRET (or SLACK_APP_TOKEN) to derive its sign-in checks from.",
    ]);
  });
});

describe("the derived PKCE verifier and nonce", () => {
  it("are the same on every replica for one state, differ per state and per key, and fit RFC 7636", () => {
    const state = newState();
    expect(isWellFormedState(state)).toBe(true);
    const a = deriveChecks("key", state);
    expect(deriveChecks("key", state)).toEqual(a);
    expect(deriveChecks("other key", state).codeVerifier).not.toBe(a.codeVerifier);
    expect(deriveChecks("key", newState()).nonce).not.toBe(a.nonce);
    expect(a.codeVerifier).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(a.nonce).not.toBe(a.codeVerifier);
    expect(isWellFormedState("<script>")).toBe(false);
    expect(isWellFormedState(null)).toBe(false);
  });
});

describe("check-config, doctor and start-up refuse stepUp without JITBOT_PUBLIC_URL", () => {
  it("check-config: exit 1 with the sentence", async () => {
    const path = file("step-up.yaml", withStepUp("entra"));
    // The example's on-call profile needs its key set to be accepted; only the public URL is missing.
    const onCallKey = { PAGERDUTY_TOKEN: "u+test-key" };
    const refused = await jitbot(["check-config", path], onCallKey);
    expect(refused.code).toBe(1);
    expect(refused.output).toBe(
      `${path}: aks-prod-sre uses approval.stepUp, but JITBOT_PUBLIC_URL is not set: an approver's browser must reach jitbot at a public URL to finish the Entra sign-in that makes the approval count (set it to e.g. https://jitbot.example.com).\n`,
    );
    const accepted = await jitbot(["check-config", path], {
      ...onCallKey,
      JITBOT_PUBLIC_URL: "https://jitbot.example.com",
    });
    expect(accepted.code).toBe(0);
  });

  it("doctor: a failed row with the fix; with everything set, Entra's discovery and the redirect URI", async () => {
    const policy = stepUpPolicy();
    const [row] = await stepUpChecks({}, policy);
    expect(row).toMatchObject({ status: "failed", check: "approver step-up", result: NO_URL });
    const oidc = await startFakeEntraOidc({
      tenantId: TENANT_ID,
      clientId: CLIENT_ID,
      clientSecret: CLIENT_SECRET,
      redirectUris: [REDIRECT_URI],
      now: () => new Date(),
    });
    try {
      const env = {
        JITBOT_PUBLIC_URL: "https://jitbot.test",
        AZURE_AUTHORITY_HOST: oidc.authority,
        AZURE_TENANT_ID: TENANT_ID,
        JITBOT_STEPUP_CLIENT_ID: CLIENT_ID,
        JITBOT_STEPUP_CLIENT_SECRET: CLIENT_SECRET,
        SLACK_SIGNING_SECRET: "signing",
      };
      expect(await stepUpChecks(env, policy)).toEqual([
        {
          status: "ok",
          check: "Entra sign-in",
          target: oidc.issuer,
          result: `discovery answered; register the redirect URI ${REDIRECT_URI} in the app ${CLIENT_ID}`,
        },
      ]);
      const wrongTenant = await stepUpChecks(
        { ...env, AZURE_TENANT_ID: "00000000-0000-4000-8000-000000000000" },
        policy,
      );
      expect(wrongTenant[0]).toMatchObject({ status: "failed", check: "Entra sign-in" });
    } finally {
      await oidc.close();
    }
  });

  it("start-up: exit 2 before opening anything", async () => {
    const path = file("start.yaml", withStepUp("entra"));
    const stderr = vi.spyOn(process.stderr, "write").mockImplementation(() => true);
    try {
      const code = await main({
        JITBOT_CONFIG: path,
        SLACK_BOT_TOKEN: "xoxb-test",
        SLACK_SIGNING_SECRET: "test-signing-secret",
        JITBOT_DB: join(tmp.dir, "never.db"),
        LOG_LEVEL: "silent",
      });
      expect(code).toBe(2);
      expect(stderr.mock.calls.map((c) => String(c[0])).join("")).toContain(
        "jitbot: aks-prod-sre uses approval.stepUp, but JITBOT_PUBLIC_URL is not set",
      );
    } finally {
      stderr.mockRestore();
    }
    expect(existsSync(join(tmp.dir, "never.db"))).toBe(false);
  });
});
