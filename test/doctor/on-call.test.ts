import { afterAll, describe, expect, it } from "vitest";
import { parsePolicy } from "../../src/config/load.js";
import { onCallChecks } from "../../src/doctor/on-call.js";
import { renderTable } from "../../src/doctor/report.js";
import { startFakeOpsgenie } from "../fakes/opsgenie-server.js";
import { startFakePagerDuty } from "../fakes/pagerduty-server.js";

const pd = await startFakePagerDuty();
const og = await startFakeOpsgenie();
afterAll(async () => {
  await pd.close();
  await og.close();
});
pd.schedules.set("PPAYMNT", {
  id: "PPAYMNT",
  name: "Payments primary",
  onCall: [{ id: "PA", name: "Alice", email: "alice@contoso.com" }],
});
og.schedules.set("4a6f0b9e-7c1d-4e2f-9a3b-5c6d7e8f9a0b", {
  id: "4a6f0b9e-7c1d-4e2f-9a3b-5c6d7e8f9a0b",
  name: "Platform",
  onCall: ["omar@contoso.com", "lee@contoso.com"],
});

const profile = (id: string, onCall: string) => `
  - id: ${id}
    title: ${id}
    cluster: { kind: aks, name: prod, resourceGroup: rg, subscriptionId: "99999999-8888-7777-6666-555555555555" }
    grant: { type: entra-group, groupId: "6f1c2a9e-1b7d-4f3a-9c1e-2d5b8a7f4e10" }
    duration: { default: 1h, max: 4h }
    approval: { channel: C0APPROVALS, approvers: { users: [U0LEAD] }, autoApproveOnCall: ${onCall} }`;
const policy =
  parsePolicy(`profiles:${profile("a", "{ provider: pagerduty, schedules: [PPAYMNT, PNOPE12], max: 1h }")}${profile(
    "b",
    "{ provider: opsgenie, schedules: [4a6f0b9e-7c1d-4e2f-9a3b-5c6d7e8f9a0b], max: 1h }",
  )}${profile("c", "{ provider: pagerduty, schedules: [PPAYMNT], max: 1h }")}
`);
const env = {
  PAGERDUTY_TOKEN: pd.token,
  PAGERDUTY_API_URL: pd.baseUrl,
  OPSGENIE_API_KEY: og.apiKey,
  OPSGENIE_API_URL: og.baseUrl,
};

describe("jitbot doctor: on-call schedules", () => {
  it("reads each schedule once with the configured keys and says who is on call", async () => {
    const rows = await onCallChecks(env, policy);
    expect(rows.map((r) => [r.status, r.check, r.target, r.result])).toEqual([
      ["ok", "PagerDuty schedule", "PPAYMNT", '"Payments primary": 1 on call now'],
      // PagerDuty lists no on-calls for an unknown schedule; nothing to refuse.
      ["ok", "PagerDuty schedule", "PNOPE12", '"PNOPE12": 0 on call now'],
      ["ok", "Opsgenie schedule", "4a6f0b9e-7c1d-4e2f-9a3b-5c6d7e8f9a0b", '"Platform": 2 on call now'],
    ]);
  });

  it("fails a refused key and a missing key with the fix, and never prints a key", async () => {
    const rows = await onCallChecks({ ...env, PAGERDUTY_TOKEN: "u+revoked-key-0000", OPSGENIE_API_KEY: "" }, policy);
    const output = renderTable(rows, ["u+revoked-key-0000"]);
    expect(output).toContain("✗  PagerDuty schedule  PPAYMNT");
    expect(output).toContain("PagerDuty refused jitbot's API key (401)");
    expect(output).toContain("fix: the key is wrong or revoked: create a read-only key and set it again");
    expect(output).toContain("OPSGENIE_API_KEY is not set");
    expect(output).not.toContain("u+revoked-key-0000");
  });
});
