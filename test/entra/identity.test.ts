import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createGraphClient } from "../../src/grants/entra/graph.js";
import { entraEmailFor, findEntraUser } from "../../src/grants/entra/identity.js";
import { isProviderError } from "../../src/grants/errors.js";
import { type EntraFixture, startEntraFixture } from "./harness.js";

describe("Slack email → Entra user", () => {
  let f: EntraFixture;
  beforeAll(async () => {
    f = await startEntraFixture({
      globalDomainMap: { "example.io": "example.com", "corp.io": "corp.com" },
      profileDomainMap: { "corp.io": "subsidiary.com" },
    });
    const d = f.graph.directory;
    d.addUser({ id: "u-upn", userPrincipalName: "alice@example.com", mail: "alice@example.com" });
    d.addUser({ id: "u-mail", userPrincipalName: "bob_ext#EXT#@tenant.onmicrosoft.com", mail: "bob@partner.org" });
    d.addUser({ id: "u-sub", userPrincipalName: "carol@subsidiary.com", mail: null });
  });
  afterAll(() => f.close());

  const profile = () => f.policy.profiles[0]!;

  it.each([
    ["is found by UPN", "alice@example.com", "u-upn"],
    ["is found by UPN whatever the case of the Slack email", "Alice@Example.com", "u-upn"],
    ["falls back to `mail` when no UPN matches (guests)", "bob@partner.org", "u-mail"],
    ["follows the global emailDomainMap", "alice@example.io", "u-upn"],
    ["prefers the profile's emailDomainMap over the global one", "carol@corp.io", "u-sub"],
  ])("a Slack user %s", async (_name, email, id) => {
    const user = await findEntraUser(clientOf(f), email, profile(), f.policy);
    expect(user.id).toBe(id);
  });

  it("says which email is missing and how to fix it when nobody matches", async () => {
    const failure = await findEntraUser(clientOf(f), "dave@example.io", profile(), f.policy).catch((e: unknown) => e);
    expect(isProviderError(failure) && failure.code).toBe("IDENTITY_NOT_FOUND");
    expect(isProviderError(failure) && failure.userMessage).toMatch(
      /^your Slack email dave@example\.io is not a user in Entra \(looked up as dave@example\.com\).*emailDomainMap/,
    );
  });

  it("turns that into the provider's error on grant, before changing anything", async () => {
    const request = f.newRequest("aks-group", "nobody@example.com");
    await expect(f.provider("entra-group").grant(request)).rejects.toMatchObject({ code: "IDENTITY_NOT_FOUND" });
    expect(f.graph.writes()).toEqual([]);
  });

  it.each([
    ["keeps an unmapped domain", "x@other.org", "x@other.org"],
    ["maps domains case-insensitively", "x@EXAMPLE.IO", "x@example.com"],
    ["uses the profile map first", "x@corp.io", "x@subsidiary.com"],
  ])("entraEmailFor %s", (_name, input, expected) => {
    expect(entraEmailFor(input, profile(), f.policy)).toBe(expected);
  });
});

/** A Graph client built the way the factory builds it, pointed at this fixture's fake. */
function clientOf(f: EntraFixture) {
  return createGraphClient({ env: { GRAPH_BASE_URL: f.graph.baseUrl } });
}
