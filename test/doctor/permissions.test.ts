import type { AccessToken, TokenCredential } from "@azure/identity";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parsePolicy } from "../../src/config/load.js";
import { entraChecks } from "../../src/doctor/entra.js";
import { grantedRoles, missingPermissions, requiredPermissions } from "../../src/doctor/permissions.js";
import { type FakeGraph, startFakeGraph } from "../fakes/graph-server.js";

/** An app-only token as Entra issues it: a JWT whose `roles` claim lists the application permissions. */
function appToken(roles: string[] | undefined): string {
  const part = (value: object) => Buffer.from(JSON.stringify(value)).toString("base64url");
  return `${part({ alg: "RS256", typ: "JWT" })}.${part({ aud: "https://graph.microsoft.com", ...(roles ? { roles } : {}) })}.c2ln`;
}

const credentialWith = (token: string): TokenCredential => ({
  getToken: async (): Promise<AccessToken> => ({ token, expiresOnTimestamp: Date.now() + 3_600_000 }),
});

describe("Graph application permissions", () => {
  it.each([
    ["a JWT's roles claim is read", appToken(["User.Read.All"]), ["User.Read.All"]],
    ["a JWT without roles has none", appToken(undefined), []],
    ["an opaque token cannot tell", "opaque-token", undefined],
  ])("%s", (_, token, roles) => {
    expect(grantedRoles(token)).toEqual(roles);
  });

  it.each([
    ["exact permissions suffice", ["User.Read.All", "GroupMember.ReadWrite.All"], []],
    ["a broader permission covers a narrower one", ["Directory.Read.All", "Group.ReadWrite.All"], []],
    [
      "a read permission does not cover a write one",
      ["User.Read.All", "GroupMember.Read.All"],
      ["GroupMember.ReadWrite.All"],
    ],
  ])("entra-group: %s", (_, granted, missing) => {
    expect(missingPermissions(requiredPermissions("entra-group", false), granted)).toEqual(missing);
  });

  it("asks for User.RevokeSessions.All only when sessions are revoked at expiry", () => {
    expect(requiredPermissions("entra-pim-group", true)).toContain("User.RevokeSessions.All");
    expect(requiredPermissions("entra-pim-group", false)).not.toContain("User.RevokeSessions.All");
  });
});

describe("doctor's Entra permission row", () => {
  let graph: FakeGraph;
  let groupId: string;
  beforeAll(async () => {
    graph = await startFakeGraph();
    groupId = graph.directory.addGroup();
  });
  afterAll(() => graph.close());

  const policy = () =>
    parsePolicy(`
profiles:
  - id: aks-sp
    title: AKS via service principal
    cluster: { kind: aks, name: prod-aks, resourceGroup: rg, subscriptionId: "99999999-8888-7777-6666-555555555555" }
    grant: { type: entra-service-principal, groupId: "${groupId}" }
    duration: { default: 1h, max: 4h }
    approval: { channel: C0APPROVALS, approvers: { users: [U0LEAD] } }
`);

  it("names the application permissions the token lacks, and changes nothing", async () => {
    const rows = await entraChecks(
      { GRAPH_BASE_URL: graph.baseUrl },
      policy(),
      credentialWith(appToken(["User.Read.All", "GroupMember.ReadWrite.All"])),
    );
    const row = rows.find((r) => r.check === "Entra permissions");
    expect(row).toMatchObject({ status: "failed", result: "the app lacks Application.ReadWrite.All" });
    expect(row?.status === "failed" && row.fix).toMatch(/application permission\(s\) Application\.ReadWrite\.All/);
    expect(graph.writes()).toEqual([]);
  });

  it("does not pass Application.ReadWrite.OwnedBy alone: adding a service principal to a group needs Application.ReadWrite.All", async () => {
    const token = appToken(["GroupMember.ReadWrite.All", "Application.ReadWrite.OwnedBy"]);
    const rows = await entraChecks({ GRAPH_BASE_URL: graph.baseUrl }, policy(), credentialWith(token));
    expect(rows.find((r) => r.check === "Entra permissions")).toMatchObject({
      status: "failed",
      result: "the app lacks Application.ReadWrite.All",
    });
  });

  it("passes when the token carries every permission the grant type needs", async () => {
    const token = appToken(["GroupMember.ReadWrite.All", "Application.ReadWrite.All"]);
    const rows = await entraChecks({ GRAPH_BASE_URL: graph.baseUrl }, policy(), credentialWith(token));
    expect(rows.find((r) => r.check === "Entra permissions")).toMatchObject({ status: "ok" });
  });
});
