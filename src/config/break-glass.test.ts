import { describe, expect, it } from "vitest";
import { ConfigError, parsePolicy } from "./load.js";

const profile = (breakGlass: string, approvers = "{ users: [U0LEAD] }") => `
profiles:
  - id: p1
    title: One
    cluster: { kind: aks, name: c, resourceGroup: rg, subscriptionId: "3c9f1b2a-5d4e-4f6a-8b7c-9d0e1f2a3b4c" }
    grant: { type: entra-group, groupId: "6f1c2a9e-1b7d-4f3a-9c1e-2d5b8a7f4e10" }
    duration: { default: 1h, max: 4h }
    approval: { channel: C0APPROVALS, approvers: ${approvers} }
    breakGlass: ${breakGlass}
`;

function problemsOf(yaml: string): string[] {
  try {
    parsePolicy(yaml, "test.yaml");
    return [];
  } catch (error) {
    if (error instanceof ConfigError) return error.problems;
    throw error;
  }
}

describe("breakGlass in a profile", () => {
  it("loads as seconds", () => {
    const policy = parsePolicy(profile("{ confirmWithin: 15m, max: 1h }"), "t");
    expect(policy.profiles[0]?.breakGlass).toEqual({ confirmWithin: 900, max: 3600 });
  });

  it("is optional: a profile without it has no break glass", () => {
    const policy = parsePolicy(profile("{ confirmWithin: 15m, max: 1h }").replace(/ {4}breakGlass:.*\n/, ""), "t");
    expect(policy.profiles[0]?.breakGlass).toBeUndefined();
  });

  it.each([
    [
      "a confirmation window as long as the access",
      "{ confirmWithin: 1h, max: 1h }",
      "profiles[0].breakGlass.confirmWithin: 1h must be shorter than breakGlass.max (1h), or there is nothing left to confirm",
    ],
    [
      "a cap past the profile's duration.max",
      "{ confirmWithin: 15m, max: 5h }",
      "profiles[0].breakGlass.max: 5h is longer than duration.max (4h)",
    ],
    [
      "a window under a minute",
      "{ confirmWithin: 30s, max: 1h }",
      "profiles[0].breakGlass.confirmWithin: must be at least 1m",
    ],
    [
      "a duration that is not one",
      "{ confirmWithin: soon, max: 1h }",
      'profiles[0].breakGlass.confirmWithin: "soon" is not a duration',
    ],
    ["a missing key", "{ confirmWithin: 15m }", "profiles[0].breakGlass.max:"],
    ["an unknown key", "{ confirmWithin: 15m, max: 1h, page: true }", "profiles[0].breakGlass.page: unknown key"],
  ])("refuses %s", (_why, breakGlass, expected) => {
    const problems = problemsOf(profile(breakGlass));
    expect(
      problems.some((p) => p.startsWith(expected)),
      problems.join("\n"),
    ).toBe(true);
  });

  it("refuses a profile nobody could confirm", () => {
    const problems = problemsOf(profile("{ confirmWithin: 15m, max: 1h }", "{ users: [] }"));
    expect(problems).toContain(
      "profiles[0].breakGlass: needs approval.approvers (users or slackUserGroups): someone must be able to confirm",
    );
  });
});
