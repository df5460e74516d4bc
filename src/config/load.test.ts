import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { ConfigError, parsePolicy } from "./load.js";

const example = readFileSync(new URL("../../jitbot.example.yaml", import.meta.url), "utf8");

function problemsOf(yaml: string): string[] {
  try {
    parsePolicy(yaml, "test.yaml");
    return [];
  } catch (error) {
    if (error instanceof ConfigError) return error.problems;
    throw error;
  }
}

const profile = (extra = "", duration = "{ default: 1h, max: 4h }") => `
profiles:
  - id: p1
    title: One
    cluster: { kind: aks, name: c, resourceGroup: rg, subscriptionId: "3c9f1b2a-5d4e-4f6a-8b7c-9d0e1f2a3b4c" }
    grant: { type: entra-group, groupId: "6f1c2a9e-1b7d-4f3a-9c1e-2d5b8a7f4e10" }
    duration: ${duration}
    approval: { channel: C0APPROVALS, approvers: { users: [U0LEAD] } }
${extra}`;

describe("the policy file", () => {
  it("ships an example that is valid", () => {
    const policy = parsePolicy(example, "jitbot.example.yaml");
    expect(policy.profiles.map((p) => p.id)).toEqual([
      "aks-prod-sre",
      "aks-prod-dev",
      "eks-pod-manager",
      "aks-prod-oncall",
      "aks-prod-incident",
      "aks-prod-payments",
    ]);
    expect(policy.profiles[0]?.duration).toEqual({ default: 3600, max: 14400 });
  });

  it("fills defaults", () => {
    const policy = parsePolicy(profile(), "t");
    expect(policy.defaults).toEqual({ reminderBefore: 600, approvalTimeout: 14400 });
    expect(policy.profiles[0]?.approval).toMatchObject({ required: 1, selfApproval: false });
    expect(policy.profiles[0]?.justification.minLength).toBe(10);
  });

  it.each([
    [
      "a duration that is not one",
      profile("", '{ default: 1h, max: "5x" }'),
      'profiles[0].duration.max: "5x" is not a duration',
    ],
    [
      "a default over the max",
      profile("", "{ default: 5h, max: 4h }"),
      "profiles[0].duration.default: 5h is longer than duration.max (4h)",
    ],
    ["a max over 24h", profile("", "{ default: 1h, max: 25h }"), "profiles[0].duration.max: must be at most 24h"],
    ["under a minute", profile("", "{ default: 30s, max: 4h }"), "profiles[0].duration.default: must be at least 1m"],
    ["an unknown key", profile("    colour: blue"), "profiles[0].colour: unknown key"],
    ["an unknown top-level key", `${profile()}\nverbose: true`, "verbose: unknown key"],
    [
      "a channel name instead of an id",
      profile().replace("C0APPROVALS", '"#approvals"'),
      "profiles[0].approval.channel: must be a Slack channel id (C…), not a #name",
    ],
    [
      "a duplicate id",
      profile() + profile().replace("profiles:\n", ""),
      'profiles[1].id: "p1" is already used by profiles[0]',
    ],
    ["an unknown grant type", profile().replace("entra-group", "magic"), "profiles[0].grant.type"],
    [
      "PIM under its five-minute floor",
      profile().replace("entra-group", "entra-pim-group").replace("default: 1h", "default: 2m"),
      "profiles[0].duration.default: 2m is shorter than the 5m PIM for Groups assigns at least",
    ],
    ["no profiles", "profiles: []", "profiles: needs at least one profile"],
    [
      "a number where a duration string belongs",
      profile("", "{ default: 1h, max: 4 }"),
      "profiles[0].duration.max: expected a string, got a number",
    ],
    [
      "a string where a number belongs",
      profile().replace("approvers: { users: [U0LEAD] }", 'approvers: { users: [U0LEAD] }, required: "two"'),
      "profiles[0].approval.required: expected a number, got a string",
    ],
    [
      "a list where a mapping belongs",
      profile("    justification: [10]"),
      "profiles[0].justification: expected a mapping, got a list",
    ],
    ["an empty value", profile().replace("title: One", "title:"), "profiles[0].title: expected a string, got nothing"],
    ["a missing key", profile().replace("    title: One\n", ""), "profiles[0].title: is required"],
    ["broken YAML", "profiles: [", "YAML syntax"],
  ])("names the key at fault for %s", (_case, yaml, expected) => {
    expect(problemsOf(yaml).join("\n")).toContain(expected);
  });
});
