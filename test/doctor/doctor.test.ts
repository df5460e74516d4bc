import { readFileSync } from "node:fs";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { parse } from "yaml";
import { MANIFEST_BOT_SCOPES } from "../../src/doctor/slack.js";
import { type DoctorWorld, GROUP_NAME, SIGNING_SECRET, SP_SECRET, startDoctorWorld } from "./harness.js";

let w: DoctorWorld;
beforeEach(async () => {
  w = await startDoctorWorld();
});
afterEach(() => w.close());

/** Nothing secret in the output: the bot's own keys, Slack's token and secret, what STS handed out. */
function expectNoSecret(output: string): void {
  const secrets = [w.slack.token, SIGNING_SECRET, SP_SECRET, w.env.AWS_SECRET_ACCESS_KEY ?? "-"];
  for (const session of w.aws.sessions) secrets.push(session.secretAccessKey, session.sessionToken);
  for (const secret of secrets) expect(output).not.toContain(secret);
}

const rowOf = (output: string, check: string) => output.split("\n").find((line) => line.includes(check)) ?? "";

describe("jitbot doctor", () => {
  it("passes every check against a correctly set-up workspace, tenant and account", async () => {
    const { code, output } = await w.run();
    expect(output).not.toContain("✗");
    expect(code).toBe(0);
    expect(rowOf(output, "Slack auth")).toMatch(/^✓.*bot @jitbot \(U0JITBOT\) in Playground/);
    expect(rowOf(output, "Slack scopes")).toMatch(/^✓.*all 7 scopes granted/);
    expect(output).toMatch(/✓\s+approval channel\s+C0APPROVALS \(aks-prod-sre\)\s+#c0approvals: bot is a member/);
    expect(output).toMatch(/✓\s+approval channel\s+C0PLATFORM \(eks-pod-manager, eks-view\)/);
    expect(rowOf(output, "Entra group")).toContain(`readable: "${GROUP_NAME}"`);
    expect(rowOf(output, "AWS AssumeRole")).toMatch(/^✓.*assumed-role\/EKS-Pod-Manager\/jitbot-doctor/);
    expect(rowOf(output, "EKS access entries")).toMatch(/^✓.*britive-test/);
    expect(output).toMatch(/All \d+ checks passed\./);
    expectNoSecret(output);
  });

  it("asks STS for the shortest session, named jitbot-doctor, and changes nothing in Entra", async () => {
    await w.run();
    const assume = w.aws.calls.find((c) => c.action === "AssumeRole");
    expect(assume?.params).toMatchObject({ DurationSeconds: "900", RoleSessionName: "jitbot-doctor" });
    expect(w.graph.writes()).toEqual([]);
    expect(w.graph.calls.every((c) => c.authorization?.startsWith("Bearer "))).toBe(true);
  });

  it("fails on a bad Slack token with invalid_auth, naming the variable to fix", async () => {
    const { code, output } = await w.run({ SLACK_BOT_TOKEN: "xoxb-wrong-token-123456" });
    expect(code).toBe(1);
    expect(rowOf(output, "Slack auth")).toMatch(/^✗.*auth\.test failed: invalid_auth/);
    expect(output).toMatch(/fix: SLACK_BOT_TOKEN is wrong or revoked/);
    expect(output).toMatch(/–\s+Slack scopes and channels.*skipped: Slack auth failed/);
    expect(output).not.toContain("xoxb-wrong-token-123456");
    expectNoSecret(output);
  });

  it("fails when the bot is not a member of an approval channel, with the /invite to type", async () => {
    w.notMemberOf.add("C0PLATFORM");
    const { code, output } = await w.run();
    expect(code).toBe(1);
    expect(output).toMatch(
      /✗\s+approval channel\s+C0PLATFORM \(eks-pod-manager, eks-view\)\s+#c0platform exists; the bot is not a member/,
    );
    expect(output).toContain("fix: invite the bot: type /invite @jitbot in #c0platform");
    expect(rowOf(output, "C0APPROVALS")).toMatch(/^✓/);
    expectNoSecret(output);
  });

  it("fails on a missing Slack scope and names it", async () => {
    w.grantedScopes.splice(w.grantedScopes.indexOf("users:read.email"), 1);
    const { code, output } = await w.run();
    expect(code).toBe(1);
    expect(rowOf(output, "Slack scopes")).toMatch(/^✗.*missing users:read\.email/);
  });

  it("fails on a Graph 403, naming the permission, without writing to Entra", async () => {
    w.graph.forbidNext(/^GET \/groups\/[^/]+$/);
    const { code, output } = await w.run();
    expect(code).toBe(1);
    expect(rowOf(output, "Entra group")).toMatch(
      /^✗.*403 Authorization_RequestDenied: permission GroupMember\.Read\.All/,
    );
    expect(output).toContain(
      "fix: grant jitbot's Entra app the Microsoft Graph application permission GroupMember.Read.All (or GroupMember.ReadWrite.All) with admin consent",
    );
    expect(w.graph.writes()).toEqual([]);
    expectNoSecret(output);
  });

  it("fails when the role's trust policy refuses the bot (AccessDenied), never printing keys", async () => {
    w.aws.forbidNext();
    const { code, output } = await w.run();
    expect(code).toBe(1);
    expect(rowOf(output, "AWS AssumeRole")).toMatch(/^✗.*AccessDenied: the bot may not assume this role/);
    expect(output).toContain("sts:AssumeRole, sts:SetSourceIdentity and sts:TagSession");
    expect(rowOf(output, "EKS access entries")).toMatch(/^✓/);
    expectNoSecret(output);
  });

  it("fails when EKS refuses ListAccessEntries, listing the eks: actions the bot needs", async () => {
    w.eks.failNext = { status: 403, type: "AccessDeniedException", message: "not authorized" };
    const { code, output } = await w.run();
    expect(code).toBe(1);
    expect(rowOf(output, "EKS access entries")).toMatch(/^✗.*AccessDeniedException/);
    expect(output).toContain("eks:ListAccessEntries, eks:CreateAccessEntry");
  });

  it("fails on an unknown group id, naming the key to fix", async () => {
    w.graph.directory.groups.delete(w.groupId);
    const { code, output } = await w.run();
    expect(code).toBe(1);
    expect(rowOf(output, "Entra group")).toMatch(/^✗.*404.*no such group/);
    expect(output).toContain("fix: check grant.groupId");
  });
});

describe("jitbot doctor in dry-run mode", () => {
  it("checks Slack but skips Entra and AWS with a dry-run row", async () => {
    await w.close();
    w = await startDoctorWorld({ dryRun: true });
    const { code, output } = await w.run();
    expect(code).toBe(0);
    expect(output).toMatch(/–\s+Entra and AWS\s+policy\.dryRun: true\s+dry run: skipped/);
    expect(rowOf(output, "Slack auth")).toMatch(/^✓/);
    expect(w.graph.calls).toEqual([]);
    expect(w.aws.calls).toEqual([]);
  });
});

describe("doctor's scope list", () => {
  it.each(["slack-app-manifest.yaml", "slack-app-manifest.socket-mode.yaml"])("equals the bot scopes of %s", (file) => {
    const manifest = parse(readFileSync(new URL(`../../${file}`, import.meta.url), "utf8")) as {
      oauth_config: { scopes: { bot: string[] } };
    };
    expect([...manifest.oauth_config.scopes.bot].sort()).toEqual([...MANIFEST_BOT_SCOPES].sort());
  });
});
