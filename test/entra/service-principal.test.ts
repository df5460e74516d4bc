import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { isProviderError } from "../../src/grants/errors.js";
import type { GrantOutcome } from "../../src/grants/provider.js";
import { activeGrantOf } from "../contract/provider-contract.js";
import { type EntraFixture, startEntraFixture, TENANT_ID } from "./harness.js";

describe("entra-service-principal", () => {
  let f: EntraFixture;
  beforeAll(async () => {
    f = await startEntraFixture({ revokeSessionsOnExpiry: true });
  });
  afterAll(() => f.close());
  const provider = () => f.provider("entra-service-principal");
  const appFor = (requestId: string) =>
    [...f.graph.directory.applications.values()].find((a) => a.uniqueName.endsWith(requestId));

  it("creates app + SP with a password ending at expiry, joins the group, and DMs the login once", async () => {
    const request = f.newRequest("aks-sp");
    const outcome = await provider().grant(request);
    const app = appFor(request.requestId);
    const secret = app?.passwords[0]?.secretText ?? "missing";
    expect(app?.passwords.map((p) => p.endDateTime)).toEqual([request.expiresAt.toISOString()]);
    const sp = [...f.graph.directory.servicePrincipals.values()].find((s) => s.appId === app?.appId);
    expect(f.graph.directory.isMember(f.groupId, sp?.id ?? "")).toBe(true);
    expect(outcome.state).toEqual({
      applicationId: app?.id,
      appId: app?.appId,
      servicePrincipalId: sp?.id,
      groupId: f.groupId,
      // The password's id (not its secret), so an extension can replace it.
      passwordKeyId: app?.passwords[0]?.keyId,
    });
    expect(outcome.providerExpiresAt).toEqual(request.expiresAt);

    const secretSections = outcome.instructions.sections.filter((s) => s.code?.includes(secret));
    expect(secretSections).toEqual([
      {
        heading: expect.any(String),
        code: `az login --service-principal --tenant ${TENANT_ID} --username ${app?.appId} --password='${secret}'`,
        secret: true,
      },
    ]);
    expect(outcome.instructions.sections.map((s) => s.code).join("\n")).toContain(
      "kubelogin convert-kubeconfig -l azurecli",
    );
    expect(JSON.stringify(outcome.state)).not.toContain(secret);
    expect(outcome.instructions.summary + outcome.instructions.notes.join(" ")).not.toContain(secret);
    expect(JSON.stringify(f.logs)).not.toContain(secret);
  });

  it("revokes by deleting the application, which takes the SP out of the group", async () => {
    const request = f.newRequest("aks-sp");
    const outcome = await provider().grant(request);
    const { applicationId, servicePrincipalId } = outcome.state;
    const revoked = await provider().revoke(activeGrantOf(request, outcome));
    expect(revoked.detail).toBe("temporary service principal deleted");
    expect(f.graph.writes()).toContain(`DELETE /applications/${applicationId}`);
    expect(f.graph.directory.isMember(f.groupId, String(servicePrincipalId))).toBe(false);
    // Sessions belong to users; a deleted service principal has none to revoke.
    expect(f.graph.directory.revokedSessions).toEqual([]);
  });

  it("finds and deletes the application by its unique name when the state was never stored", async () => {
    const request = f.newRequest("aks-sp");
    await provider().grant(request);
    const lost: GrantOutcome = { state: {}, instructions: { summary: "", sections: [], notes: [] } };
    await provider().revoke(activeGrantOf(request, lost));
    expect(appFor(request.requestId)).toBeUndefined();
  });

  it("cleans up the new application when a later step is forbidden, and never leaks the secret", async () => {
    const request = f.newRequest("aks-sp");
    f.graph.forbidNext(/^POST \/groups\/.*\/members\/\$ref$/);
    const failure = await provider()
      .grant(request)
      .catch((e: unknown) => e);
    expect(isProviderError(failure) && failure.userMessage).toContain("Application.ReadWrite.All");
    expect(appFor(request.requestId)).toBeUndefined();
    expect(f.graph.calls.some((c) => c.path.endsWith("/addPassword"))).toBe(true);
    const message = isProviderError(failure) ? failure.userMessage : "";
    expect(message).not.toMatch(/fake~secret/);
    expect(JSON.stringify(f.logs)).not.toMatch(/fake~secret/);
  });

  it("asks for Application.ReadWrite.All to put the service principal in the group, as the Add members table says", async () => {
    f.graph.directory.permissions.delete("Application.ReadWrite.All");
    try {
      const request = f.newRequest("aks-sp");
      const failure = await provider()
        .grant(request)
        .catch((e: unknown) => e);
      expect(isProviderError(failure) && failure.code).toBe("FORBIDDEN");
      expect(isProviderError(failure) && failure.userMessage).toMatch(
        /application permission Application\.ReadWrite\.All \(together with GroupMember\.ReadWrite\.All\) with admin consent\.$/,
      );
    } finally {
      f.graph.directory.permissions.add("Application.ReadWrite.All");
    }
  });

  it("waits out Entra's replication of what it just created, through the clock, and never sleeps", async () => {
    const waitsBefore = f.clock.waits.length;
    const outcome = await provider().grant(f.newRequest("aks-sp"));
    expect(outcome.state.servicePrincipalId).toEqual(expect.any(String));
    const waited = f.clock.waits.slice(waitsBefore);
    expect(waited.length).toBeGreaterThan(0);
    expect(waited.reduce((a, b) => a + b, 0)).toBeGreaterThanOrEqual(3000);
  });

  it("says Entra had not replicated the new application when it gives up, and cleans up", async () => {
    f.graph.directory.replicationDelayMs = 10 * 60_000;
    try {
      const request = f.newRequest("aks-sp");
      const failure = await provider()
        .grant(request)
        .catch((e: unknown) => e);
      expect(isProviderError(failure) && { code: failure.code, retryable: failure.retryable }).toEqual({
        code: "UNAVAILABLE",
        retryable: true,
      });
      expect(isProviderError(failure) && failure.userMessage).toMatch(
        /Entra still did not show the temporary application .* 30s after jitbot created it .*; it will retry\.$/,
      );
      expect(isProviderError(failure) && failure.userMessage).not.toMatch(/grant\.groupId/);
    } finally {
      f.graph.directory.replicationDelayMs = 3000;
    }
  });

  it("purges the deleted application and service principal, so 130 grants a month stay under the 250-object quota", async () => {
    const directory = f.graph.directory;
    for (let i = 0; i < 130; i++) {
      const request = f.newRequest("aks-sp");
      const outcome = await provider().grant(request);
      await provider().revoke(activeGrantOf(request, outcome));
    }
    expect(directory.deletedItems.size).toBe(0);
    expect(
      f.graph.writes().filter((w) => w.startsWith("DELETE /directory/deletedItems/")).length,
    ).toBeGreaterThanOrEqual(260);
  }, 120_000);

  it("turns Directory_QuotaExceeded into a sentence naming the fix", async () => {
    f.graph.directory.objectQuota = 0;
    try {
      const failure = await provider()
        .grant(f.newRequest("aks-sp"))
        .catch((e: unknown) => e);
      expect(isProviderError(failure) && failure.code).toBe("FORBIDDEN");
      expect(isProviderError(failure) && failure.userMessage).toMatch(
        /quota of 250 directory objects .* deleted items .*microsoft\.directory\/applications\/create/,
      );
    } finally {
      f.graph.directory.objectQuota = 250;
    }
  });

  it("names Application.ReadWrite.OwnedBy when creating the application is forbidden", async () => {
    f.graph.forbidNext(/^PATCH \/applications/);
    const failure = await provider()
      .grant(f.newRequest("aks-sp"))
      .catch((e: unknown) => e);
    expect(isProviderError(failure) && failure.code).toBe("FORBIDDEN");
    expect(isProviderError(failure) && failure.userMessage).toContain("Application.ReadWrite.OwnedBy");
  });
});
