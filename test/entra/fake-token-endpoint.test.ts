/**
 * The fake token endpoint refuses a malformed client-credentials request as the Microsoft identity
 * platform documents it (test/fakes/entra-token-endpoint.ts cites each page): a missing grant is
 * AADSTS900144, another grant unsupported_grant_type, an unknown tenant AADSTS90002, another verb
 * AADSTS900561, each a 400 with the OAuth error body.
 */
import { afterEach, describe, expect, it } from "vitest";
import { startTokenEndpoint, type TokenEndpoint } from "../fakes/entra-token-endpoint.js";
import { GraphDirectory } from "../fakes/graph-directory.js";

const TENANT = "72f988bf-0000-0000-0000-000000000001";
const endpoints: TokenEndpoint[] = [];
afterEach(async () => {
  await Promise.all(endpoints.splice(0).map((e) => e.close()));
});

async function ask(path: string, init: RequestInit): Promise<{ status: number; error?: string; codes?: number[] }> {
  const endpoint = await startTokenEndpoint(new GraphDirectory(), TENANT);
  endpoints.push(endpoint);
  const res = await fetch(`${endpoint.authority}${path}`, init);
  const body = (await res.json()) as { error?: string; error_codes?: number[] };
  return { status: res.status, error: body.error, codes: body.error_codes };
}

const form = (fields: Record<string, string>): RequestInit => ({
  method: "POST",
  headers: { "Content-Type": "application/x-www-form-urlencoded" },
  body: new URLSearchParams(fields),
});

describe("the fake token endpoint's refusals", () => {
  it.each([
    ["a missing grant_type", `/${TENANT}/oauth2/v2.0/token`, form({ client_id: "x" }), "invalid_request", 900144],
    [
      "a grant other than client_credentials",
      `/${TENANT}/oauth2/v2.0/token`,
      form({ client_id: "x", grant_type: "password" }),
      "unsupported_grant_type",
      70003,
    ],
    [
      "a tenant that does not exist",
      "/00000000-0000-0000-0000-000000000000/oauth2/v2.0/token",
      form({ grant_type: "client_credentials" }),
      "invalid_tenant",
      90002,
    ],
    ["a GET on the token endpoint", `/${TENANT}/oauth2/v2.0/token`, { method: "GET" }, "invalid_request", 900561],
  ])("refuses %s with a 400 and its AADSTS code", async (_case, path, init, error, code) => {
    expect(await ask(path, init)).toEqual({ status: 400, error, codes: [code] });
  });
});
