import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createGraphClient } from "../../src/grants/entra/graph.js";
import { isProviderError } from "../../src/grants/errors.js";
import { canListMembers } from "../../src/grants/provider.js";
import { activeGrantOf } from "../contract/provider-contract.js";
import { type EntraFixture, SUBSCRIPTION_ID, startEntraFixture, userIdOf } from "./harness.js";

describe("entra-group", () => {
  let f: EntraFixture;
  beforeAll(async () => {
    f = await startEntraFixture({ revokeSessionsOnExpiry: true, namespace: "team-a" });
  });
  afterAll(() => f.close());
  const provider = () => f.provider("entra-group");

  it("leaves a standing member in place, records it, says so in the DM and logs it", async () => {
    const request = f.newRequest("aks-group");
    const userId = userIdOf(f, request.subject.email) ?? "";
    f.graph.directory.groups.get(f.groupId)?.add(userId);
    const outcome = await provider().grant(request);
    expect(outcome.state).toMatchObject({ userId, groupId: f.groupId, standingMember: true });
    expect(outcome.instructions.notes.join(" ")).toMatch(/already a member .* leave that membership in place/);
    expect(f.logs.at(-1)?.obj).toMatchObject({ requestId: request.requestId, userId });

    const before = f.graph.writes().length;
    const revoked = await provider().revoke(activeGrantOf(request, outcome));
    expect(revoked.detail).toMatch(/standing member .* left in place/);
    expect(f.graph.directory.isMember(f.groupId, userId)).toBe(true);
    expect(f.graph.writes().length).toBe(before);
  });

  it("checks direct membership with the advanced query Graph requires; the old form is refused as Graph refuses it", async () => {
    const request = f.newRequest("aks-group");
    await provider().grant(request);
    const check = f.graph.calls.find(
      (c) => c.method === "GET" && c.path.endsWith("/members") && c.query.includes("filter"),
    );
    const params = new URLSearchParams(check?.query);
    expect({ level: check?.headers.consistencylevel, count: params.get("$count") }).toEqual({
      level: "eventual",
      count: "true",
    });
    // What jitbot sent before: $filter with the header but without $count=true.
    const client = createGraphClient({ env: { GRAPH_BASE_URL: f.graph.baseUrl }, maxRetries: 0 });
    const old = await client
      .api(`/groups/${f.groupId}/members`)
      .header("ConsistencyLevel", "eventual")
      .filter("id eq 'x'")
      .get()
      .catch((e: unknown) => e);
    expect(old).toMatchObject({ statusCode: 400, code: "Request_UnsupportedQuery", message: "Unsupported Query." });
  });

  it("treats Graph's 400 'removed object references do not exist' as already revoked", async () => {
    const request = f.newRequest("aks-group");
    const outcome = await provider().grant(request);
    f.graph.directory.groups.get(f.groupId)?.delete(String(outcome.state.userId));
    f.graph.directory.removeNonMemberShape = "400";
    try {
      await expect(provider().revoke(activeGrantOf(request, outcome))).resolves.toMatchObject({
        detail: expect.stringMatching(/no longer a member/),
      });
    } finally {
      f.graph.directory.removeNonMemberShape = "404";
    }
  });

  it("revokes the person's sign-in sessions at the end when entra.revokeSessionsOnExpiry is set", async () => {
    const request = f.newRequest("aks-group");
    const outcome = await provider().grant(request);
    const revoked = await provider().revoke(activeGrantOf(request, outcome));
    expect(revoked.detail).toMatch(/removed from group .*sign-in sessions revoked/);
    expect(f.graph.directory.revokedSessions).toContain(outcome.state.userId);
  });

  it("names the missing application permission when Graph answers 403", async () => {
    const request = f.newRequest("aks-group");
    f.graph.forbidNext(/^POST \/groups\/.*\/members\/\$ref$/);
    const failure = await provider()
      .grant(request)
      .catch((e: unknown) => e);
    expect(isProviderError(failure) && failure.code).toBe("FORBIDDEN");
    expect(isProviderError(failure) && failure.userMessage).toMatch(
      /Microsoft Graph application permission GroupMember\.ReadWrite\.All with admin consent\.$/,
    );
  });

  it("waits as long as Retry-After says before trying a throttled call again", async () => {
    const request = f.newRequest("aks-group");
    f.graph.throttleNext(1, 1, /^POST \/groups\/.*\/members\/\$ref$/);
    await provider().grant(request);
    const adds = f.graph.calls.filter((c) => c.method === "POST" && c.path.endsWith("/members/$ref")).slice(-2);
    expect(adds).toHaveLength(2);
    expect((adds[1]?.at ?? 0) - (adds[0]?.at ?? 0)).toBeGreaterThanOrEqual(950);
    expect(f.graph.directory.isMember(f.groupId, userIdOf(f, request.subject.email) ?? "")).toBe(true);
  });

  it.each([
    ["429", "THROTTLED", (n: number) => f.graph.throttleNext(n, 0)],
    ["503", "UNAVAILABLE", (n: number) => f.graph.failNext(n, 0)],
  ] as const)(
    "gives up on a persistent %s after a bounded number of tries, as a retryable %s",
    async (_s, code, fault) => {
      const request = f.newRequest("aks-group");
      const callsBefore = f.graph.calls.length;
      fault(20);
      const failure = await provider()
        .grant(request)
        .catch((e: unknown) => e);
      expect(isProviderError(failure) && { code: failure.code, retryable: failure.retryable }).toEqual({
        code,
        retryable: true,
      });
      expect(f.graph.calls.length - callsBefore).toBe(4);
      f.graph.clearFaults();
    },
  );

  it("tells the person exactly how to connect, with the namespace check and the token-lifetime caveat", async () => {
    const request = f.newRequest("aks-group");
    const { instructions } = await provider().grant(request);
    const code = instructions.sections.map((s) => s.code ?? "").join("\n");
    expect(code).toContain("az login");
    expect(code).toContain(
      `az aks get-credentials --resource-group rg-prod --name prod-aks --subscription ${SUBSCRIPTION_ID}`,
    );
    expect(code).toContain("kubelogin convert-kubeconfig -l azurecli");
    // kubelogin caches no token in azurecli mode (and remove-tokens is deprecated): az holds it,
    // so signing in again is what brings a token with the new group.
    expect(code).not.toContain("remove-tokens");
    expect(code).toMatch(/az logout\naz login/);
    expect(instructions.notes.join(" ")).toMatch(/sign in again \(`az logout`, then `az login`\)/);
    expect(code).toContain("kubectl auth can-i get pods --namespace team-a");
    expect(instructions.notes.join(" ")).toMatch(/60–90 minutes/);
    expect(instructions.sections.some((s) => s.secret)).toBe(false);
  });

  it("lists the group's members across pages for the drift report", async () => {
    const p = provider();
    if (!canListMembers(p)) throw new Error("entra-group should list members");
    f.graph.directory.memberPageSize = 2;
    const expected = [...(f.graph.directory.groups.get(f.groupId) ?? [])];
    const pagesBefore = f.graph.calls.filter((c) => c.method === "GET" && c.path.endsWith("/members")).length;
    const members = await p.listMembers(f.policy.profiles[0]!);
    expect(members.map((m) => m.id).sort()).toEqual(expected.sort());
    const pages = f.graph.calls.filter((c) => c.method === "GET" && c.path.endsWith("/members")).length - pagesBefore;
    expect(pages).toBe(Math.ceil(expected.length / 2));
    expect(members[0]).toMatchObject({ displayName: expect.any(String), userPrincipalName: expect.any(String) });
  });
});
