import type { TokenCredential } from "@azure/identity";
import { Client } from "@microsoft/microsoft-graph-client";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createGraphClient, graphEndpoint } from "../../src/grants/entra/graph.js";
import { type EntraFixture, startEntraFixture } from "./harness.js";

describe("the Graph client reaches the fake exactly as production reaches Graph", () => {
  let f: EntraFixture;
  beforeAll(async () => {
    f = await startEntraFixture();
  });
  afterAll(() => f.close());

  it("sends a bearer token from the managed-identity endpoint on every call (customHosts registered)", async () => {
    const request = f.newRequest("aks-group");
    await f.provider("entra-group").grant(request);
    expect(f.graph.calls.length).toBeGreaterThan(0);
    for (const call of f.graph.calls) expect(call.authorization).toMatch(/^Bearer fake-graph-token-\d+$/);
    expect(f.identity.requests[0]).toEqual({ resource: f.graph.baseUrl, apiVersion: "2019-08-01" });
  });

  it("asks the credential for a token once for many Graph calls, not once per call", async () => {
    let asked = 0;
    const credential: TokenCredential = {
      getToken: async () => {
        asked++;
        return { token: `counted-token-${asked}`, expiresOnTimestamp: Date.now() + 3_600_000 };
      },
    };
    const client = createGraphClient({ env: { GRAPH_BASE_URL: f.graph.baseUrl }, credential, maxRetries: 0 });
    const before = f.graph.calls.length;
    await Promise.all(Array.from({ length: 20 }, () => client.api("/users").top(1).get()));
    const sent = f.graph.calls.slice(before);
    expect(sent).toHaveLength(20);
    for (const call of sent) expect(call.authorization).toBe("Bearer counted-token-1");
    expect(asked).toBe(1);
  });

  it("shows why customHosts matters: without it the SDK drops Authorization and Graph says 401", async () => {
    const bare = Client.init({
      baseUrl: `${f.graph.baseUrl}/`,
      authProvider: (done) => done(null, "would-be-token"),
    });
    const failure = await bare
      .api("/users")
      .get()
      .then(
        () => undefined,
        (error: unknown) => error,
      );
    expect(failure).toMatchObject({ statusCode: 401 });
    expect(f.graph.calls.at(-1)?.authorization).toBeUndefined();
  });

  it.each([
    ["the public cloud by default", {}, "https://graph.microsoft.com", "graph.microsoft.com"],
    [
      "a national cloud",
      { GRAPH_BASE_URL: "https://graph.microsoft.us/" },
      "https://graph.microsoft.us",
      "graph.microsoft.us",
    ],
  ])("takes GRAPH_BASE_URL from env: %s", (_name, env, baseUrl, host) => {
    expect(graphEndpoint(env)).toEqual({ baseUrl, host, scope: `${baseUrl}/.default` });
  });

  it("refuses a plain-http GRAPH_BASE_URL, where the token would never be sent", () => {
    expect(() => graphEndpoint({ GRAPH_BASE_URL: "http://127.0.0.1:1" })).toThrow(/must use https/);
  });
});
