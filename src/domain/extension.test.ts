import { describe, expect, it } from "vitest";
import { ConfigError, parsePolicy } from "../config/load.js";
import { checkExtensionTotal, extensionMaxTotal, extensionRoomSeconds } from "./extension.js";

const policyWith = (extension: string) => `
profiles:
  - id: p1
    title: One
    cluster: { kind: aks, name: c, resourceGroup: rg, subscriptionId: "3c9f1b2a-5d4e-4f6a-8b7c-9d0e1f2a3b4c" }
    grant: { type: entra-group, groupId: "6f1c2a9e-1b7d-4f3a-9c1e-2d5b8a7f4e10" }
    duration: { default: 1h, max: 4h }
    approval: { channel: C0APPROVALS, approvers: { users: [U0LEAD] } }
    extension: ${extension}
`;

const profileWith = (extension: string) => {
  const profile = parsePolicy(policyWith(extension), "t").profiles[0];
  if (!profile) throw new Error("no profile");
  return profile;
};

function problemsOf(extension: string): string[] {
  try {
    parsePolicy(policyWith(extension), "t.yaml");
    return [];
  } catch (error) {
    if (error instanceof ConfigError) return error.problems;
    throw error;
  }
}

const start = new Date("2026-03-02T09:00:00Z");
const grantEnding = (hours: number) => ({ startedAt: start, expiresAt: new Date(start.getTime() + hours * 3600_000) });

describe("extension.maxTotal", () => {
  it.each([
    ["defaults to duration.max", "{ max: 1h }", 4 * 3600],
    ["is read as a duration", "{ max: 1h, maxTotal: 2h30m }", 9000],
  ])("%s", (_, extension, seconds) => {
    expect(extensionMaxTotal(profileWith(extension))).toBe(seconds);
  });

  it.each([
    ["shorter than extension.max", "{ max: 2h, maxTotal: 1h }", "1h is shorter than extension.max (2h)"],
    ["longer than a day", "{ maxTotal: 25h }", "must be at most 24h"],
    ["not a duration", "{ maxTotal: soon }", "maxTotal"],
  ])("refuses a maxTotal %s", (_, extension, problem) => {
    expect(problemsOf(extension).join("\n")).toContain(problem);
  });

  it.each([
    ["a fresh 1h grant has the whole 2h", 1, 7200],
    ["after 1h30m of extensions 30m is left", 2.5, 1800],
    ["after 2h of extensions nothing is left", 3, 0],
  ])("counts what earlier extensions added: %s", (_, endsAfterHours, left) => {
    const profile = profileWith("{ max: 1h, maxTotal: 2h }");
    expect(extensionRoomSeconds(profile, grantEnding(endsAfterHours), 3600)).toBe(left);
  });

  it("refuses an extension beyond what is left, with what is left", () => {
    const profile = profileWith("{ max: 1h, maxTotal: 2h }");
    expect(checkExtensionTotal(profile, grantEnding(2.5), 3600, 1800)).toBeUndefined();
    expect(checkExtensionTotal(profile, grantEnding(2.5), 3600, 1801)?.detail).toEqual({ maxTotal: 7200, left: 1800 });
  });
});
