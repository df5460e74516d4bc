/**
 * The fake Entra ID's ID tokens carry the claims the ID token claims reference says they carry, for
 * the scopes asked (learn.microsoft.com/en-us/entra/identity-platform/id-token-claims-reference):
 * jitbot's step-up must not rely on a claim a real token would not hold.
 */
import { decodeJwt, decodeProtectedHeader } from "jose";
import { describe, expect, it } from "vitest";
import type { Authorization } from "../fakes/entra-oidc.js";
import { IdTokenSigner } from "../fakes/entra-oidc-tokens.js";

const TENANT = "11111111-2222-3333-4444-555555555555";
const auth = (scopes: string[]): Authorization => ({
  clientId: "66666666-7777-8888-9999-000000000000",
  redirectUri: "https://jitbot.example/step-up/callback",
  codeChallenge: "x",
  nonce: "n-1",
  scopes,
  acrsRequested: undefined,
  user: {
    oid: "0a0a0a0a-0000-0000-0000-000000000001",
    name: "Alice",
    upn: "alice@contoso.com",
    email: "alice@contoso.com",
  },
  issuedAt: 0,
  redeemed: false,
});

describe("the fake Entra ID's ID token", () => {
  it("holds oid, name and preferred_username only with the profile scope, and email only with the email scope", async () => {
    const signer = await IdTokenSigner.create(TENANT);
    const bare = decodeJwt(await signer.sign(auth(["openid"]), new Date(), undefined));
    expect(bare).not.toHaveProperty("oid");
    expect(bare).not.toHaveProperty("name");
    expect(bare).not.toHaveProperty("preferred_username");
    expect(bare).not.toHaveProperty("email");
    expect(bare).toMatchObject({ ver: "2.0", tid: TENANT, nonce: "n-1" });
    const full = decodeJwt(await signer.sign(auth(["openid", "profile", "email"]), new Date(), undefined));
    expect(full).toMatchObject({
      oid: "0a0a0a0a-0000-0000-0000-000000000001",
      name: "Alice",
      preferred_username: "alice@contoso.com",
      email: "alice@contoso.com",
    });
  });

  it("lives one hour and names its key in the header", async () => {
    const signer = await IdTokenSigner.create(TENANT);
    const token = await signer.sign(auth(["openid"]), new Date(1_800_000_000_000), undefined);
    const claims = decodeJwt(token);
    expect((claims.exp ?? 0) - (claims.iat ?? 0)).toBe(3600);
    expect(decodeProtectedHeader(token)).toMatchObject({ typ: "JWT", alg: "RS256", kid: signer.publicJwk.kid });
  });
});
