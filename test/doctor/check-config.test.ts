import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { tempDir } from "../support/temp.js";
import { jitbot } from "./output.js";

const tmp = tempDir("jitbot-check-config-");
afterAll(() => tmp.cleanup());
const example = new URL("../../jitbot.example.yaml", import.meta.url).pathname;
/** The example's on-call profile asks PagerDuty, so the file is only complete with its key set. */
const withKeys = { PAGERDUTY_TOKEN: "u+not-a-real-key" };

function file(name: string, text: string): string {
  const path = join(tmp.dir, name);
  writeFileSync(path, text);
  return path;
}

describe("jitbot check-config", () => {
  it("accepts the shipped example and lists its profiles (exit 0)", async () => {
    const { code, output } = await jitbot(["check-config", example], withKeys);
    expect(code).toBe(0);
    expect(output).toMatch(/jitbot\.example\.yaml: valid — \d+ profile\(s\): [a-z0-9-]+/);
  });

  it("reads JITBOT_CONFIG when no file is given", async () => {
    const { code, output } = await jitbot(["check-config"], { ...withKeys, JITBOT_CONFIG: example });
    expect(code).toBe(0);
    expect(output).toContain("valid");
  });

  it("refuses a profile whose on-call service has no key, in one sentence that names the variable (exit 1)", async () => {
    const { code, output } = await jitbot(["check-config", example], {});
    expect(code).toBe(1);
    expect(output).toContain(
      'profiles[3].approval.autoApproveOnCall: profile "aks-prod-oncall" auto-approves PagerDuty on-call engineers, but PAGERDUTY_TOKEN is not set, so jitbot could never ask PagerDuty who is on call.',
    );
    expect(output).not.toContain("u+not-a-real-key");
  });

  it("refuses an Opsgenie profile without OPSGENIE_API_KEY, even with a PagerDuty key (exit 1)", async () => {
    const path = file(
      "opsgenie.yaml",
      `profiles:
  - id: aks-prod
    title: AKS prod
    cluster: { kind: aks, name: prod, resourceGroup: rg, subscriptionId: "99999999-8888-7777-6666-555555555555" }
    grant: { type: entra-group, groupId: "6f1c2a9e-1b7d-4f3a-9c1e-2d5b8a7f4e10" }
    duration: { default: 1h, max: 4h }
    approval:
      channel: C0APPROVALS
      approvers: { users: [U0LEAD] }
      autoApproveOnCall: { provider: opsgenie, schedules: [4a6f0b9e-7c1d-4e2f-9a3b-5c6d7e8f9a0b], max: 2h }
`,
    );
    const refused = await jitbot(["check-config", path], withKeys);
    expect(refused.code).toBe(1);
    expect(refused.output).toContain("OPSGENIE_API_KEY is not set");
    const accepted = await jitbot(["check-config", path], {
      OPSGENIE_API_KEY: "key",
      OPSGENIE_API_URL: "https://api.eu.opsgenie.com",
    });
    expect(accepted.code).toBe(0);
  });

  it("refuses an invalid file, naming each key at fault (exit 1)", async () => {
    const path = file(
      "bad.yaml",
      `profiles:
  - id: aks-prod
    title: AKS prod
    cluster: { kind: aks, name: prod, resourceGroup: rg, subscriptionId: "99999999-8888-7777-6666-555555555555" }
    grant: { type: entra-group, groupId: "not-a-uuid" }
    duration: { default: 8h, max: 4h }
    approval: { channel: C0APPROVALS, approvers: { users: [U0LEAD] } }
    colour: blue
`,
    );
    const { code, output } = await jitbot(["check-config", path], {});
    expect(code).toBe(1);
    expect(output).toContain(`${path} is not a valid jitbot policy`);
    expect(output).toContain("profiles[0].grant.groupId");
    expect(output).toContain("profiles[0].duration.default: 8h is longer than duration.max (4h)");
    expect(output).toContain("profiles[0].colour: unknown key");
  });

  it("reports a value of the wrong type as such, not as missing (exit 1)", async () => {
    const path = file(
      "types.yaml",
      `profiles:
  - id: aks-prod
    title: AKS prod
    cluster: { kind: aks, name: prod, resourceGroup: rg, subscriptionId: "99999999-8888-7777-6666-555555555555" }
    grant: { type: entra-group, groupId: "6f1c2a9e-1b7d-4f3a-9c1e-2d5b8a7f4e10" }
    duration: { default: 1h, max: 4 }
    approval: { channel: C0APPROVALS, approvers: { users: [U0LEAD] } }
`,
    );
    const { code, output } = await jitbot(["check-config", path], {});
    expect(code).toBe(1);
    expect(output).toContain("profiles[0].duration.max: expected a string, got a number");
    expect(output).not.toContain("is required");
  });

  it("reports YAML syntax errors as such (exit 1)", async () => {
    const { code, output } = await jitbot(["check-config", file("syntax.yaml", "profiles: [\n  - id: x\n")], {});
    expect(code).toBe(1);
    expect(output).toContain("YAML syntax");
  });

  it("reports a missing file with what to do (exit 1)", async () => {
    const path = join(tmp.dir, "nope.yaml");
    const { code, output } = await jitbot(["check-config", path], {});
    expect(code).toBe(1);
    expect(output).toContain(`${path} is not a valid jitbot policy`);
    expect(output).toContain("file not found (set JITBOT_CONFIG or copy jitbot.example.yaml)");
  });
});
