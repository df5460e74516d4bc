import { describe, expect, it } from "vitest";
import { ConfigError, parsePolicy } from "../config/load.js";

const policy = (onCall: string) => `
profiles:
  - id: aks-oncall
    title: AKS prod on call
    cluster: { kind: aks, name: prod, resourceGroup: rg, subscriptionId: "99999999-8888-7777-6666-555555555555" }
    grant: { type: entra-group, groupId: "6f1c2a9e-1b7d-4f3a-9c1e-2d5b8a7f4e10" }
    duration: { default: 1h, max: 4h }
    approval:
      channel: C0APPROVALS
      approvers: { users: [U0LEAD] }
      autoApproveOnCall: ${onCall}
`;

function problems(onCall: string): string[] {
  try {
    parsePolicy(policy(onCall));
    return [];
  } catch (error) {
    if (error instanceof ConfigError) return error.problems;
    throw error;
  }
}

const where = "profiles[0].approval.autoApproveOnCall";

describe("approval.autoApproveOnCall", () => {
  it("loads a PagerDuty and an Opsgenie setting, max in seconds", () => {
    const loaded = parsePolicy(policy("{ provider: pagerduty, schedules: [P1ABCDE, PXYZ123], max: 2h }"));
    expect(loaded.profiles[0]?.approval.autoApproveOnCall).toEqual({
      provider: "pagerduty",
      schedules: ["P1ABCDE", "PXYZ123"],
      max: 7200,
    });
    expect(problems("{ provider: opsgenie, schedules: [4a6f0b9e-7c1d-4e2f-9a3b-5c6d7e8f9a0b], max: 30m }")).toEqual([]);
  });

  it.each([
    ["an unknown provider", "{ provider: victorops, schedules: [P1], max: 1h }", `${where}.provider`],
    [
      "no schedule",
      "{ provider: pagerduty, schedules: [], max: 1h }",
      `${where}.schedules: needs at least one schedule id`,
    ],
    [
      "a schedule id that would change the URL",
      '{ provider: opsgenie, schedules: ["../users"], max: 1h }',
      `${where}.schedules[0]: must be a schedule id`,
    ],
    [
      "a max beyond duration.max",
      "{ provider: pagerduty, schedules: [P1], max: 5h }",
      `${where}.max: is longer than duration.max`,
    ],
    ["a max under a minute", "{ provider: pagerduty, schedules: [P1], max: 30s }", `${where}.max`],
    ["an unknown key", "{ provider: pagerduty, schedules: [P1], max: 1h, team: sre }", `${where}.team: unknown key`],
    ["no max", "{ provider: pagerduty, schedules: [P1] }", `${where}.max: is required`],
  ])("refuses %s, naming the key", (_, onCall, expected) => {
    expect(problems(onCall).join("\n")).toContain(expected);
  });
});
