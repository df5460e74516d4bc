/**
 * What the fake Entra ID signs and publishes (sources as in entra-oidc.ts): the discovery document
 * (OIDC), the signing key set, and v2.0 ID tokens (IDTOKEN), each of which a test can spoil in
 * one way a real token never is.
 */
import { createHash, randomBytes, randomUUID } from "node:crypto";
import { type CryptoKey, exportJWK, generateKeyPair, type JWK, SignJWT } from "jose";
import type { Authorization, IdTokenTamper } from "./entra-oidc.js";

const ID_TOKEN_LIFETIME_S = 3600;

export function discoveryDocument(authority: string, tenantId: string): Record<string, unknown> {
  const base = `${authority}/${tenantId}`;
  return {
    // OIDC: the v2.0 document of a tenant-specific authority.
    token_endpoint: `${base}/oauth2/v2.0/token`,
    token_endpoint_auth_methods_supported: ["client_secret_post", "private_key_jwt", "client_secret_basic"],
    jwks_uri: `${base}/discovery/v2.0/keys`,
    response_modes_supported: ["query", "fragment", "form_post"],
    subject_types_supported: ["pairwise"],
    id_token_signing_alg_values_supported: ["RS256"],
    response_types_supported: ["code", "id_token", "code id_token", "id_token token"],
    scopes_supported: ["openid", "profile", "email", "offline_access"],
    issuer: `${base}/v2.0`,
    request_uri_parameter_supported: false,
    userinfo_endpoint: `${authority}/oidc/userinfo`,
    authorization_endpoint: `${base}/oauth2/v2.0/authorize`,
    end_session_endpoint: `${base}/oauth2/v2.0/logout`,
    claims_supported: [
      "sub",
      "iss",
      "aud",
      "exp",
      "iat",
      "auth_time",
      "acr",
      "nonce",
      "preferred_username",
      "name",
      "tid",
      "ver",
      "at_hash",
      "c_hash",
      "email",
    ],
    tenant_region_scope: "EU",
  };
}

/** The tenant's signing key (published) and an impostor's (never published, for bad signatures). */
export class IdTokenSigner {
  private constructor(
    private readonly tenantId: string,
    private readonly signing: CryptoKey,
    private readonly impostor: CryptoKey,
    private readonly kid: string,
    readonly publicJwk: JWK,
  ) {}

  /** Set once the server knows its port: the `iss` of every token. */
  issuerBase = "";

  static async create(tenantId: string): Promise<IdTokenSigner> {
    const signing = await generateKeyPair("RS256", { extractable: true });
    const impostor = await generateKeyPair("RS256");
    const kid = randomBytes(8).toString("hex");
    const publicJwk = { ...(await exportJWK(signing.publicKey)), kid, use: "sig", kty: "RSA" };
    return new IdTokenSigner(tenantId, signing.privateKey, impostor.privateKey, kid, publicJwk);
  }

  async sign(auth: Authorization, at: Date, tamper: IdTokenTamper | undefined): Promise<string> {
    const now = Math.floor(at.getTime() / 1000);
    const { tenantId } = this;
    const { user } = auth;
    const claims: Record<string, unknown> = {
      ver: "2.0",
      tid: tenantId,
      oid: user.oid,
      // IDTOKEN: sub is pairwise: the same user has a different sub in each app.
      sub: createHash("sha256").update(`${user.oid}:${auth.clientId}`).digest("base64url"),
      name: user.name,
      preferred_username: user.upn,
      uti: randomBytes(16).toString("base64url"),
    };
    if (auth.nonce !== undefined) claims.nonce = tamper === "wrong-nonce" ? "someone-elses-nonce" : auth.nonce;
    // The optional `email` claim is there only for the email scope and a user with an address.
    if (auth.scopes.includes("email") && user.email) claims.email = user.email;
    if (auth.acrsRequested && user.satisfies?.includes(auth.acrsRequested)) claims.acrs = [auth.acrsRequested];
    const issuedAt = tamper === "expired" ? now - 2 * ID_TOKEN_LIFETIME_S : now;
    const key: CryptoKey = tamper === "bad-signature" ? this.impostor : this.signing;
    return new SignJWT(claims)
      .setProtectedHeader({ typ: "JWT", alg: "RS256", kid: this.kid })
      .setIssuer(`${this.issuerBase}/v2.0`)
      .setAudience(tamper === "wrong-audience" ? randomUUID() : auth.clientId)
      .setIssuedAt(issuedAt)
      .setNotBefore(issuedAt)
      .setExpirationTime(issuedAt + ID_TOKEN_LIFETIME_S)
      .sign(key);
  }
}
