/**
 * What the fake Entra ID signs and publishes: the discovery document, the signing key set, and
 * v2.0 ID tokens, each of which a test can spoil in one way a real token never is.
 *
 * Sources (learn.microsoft.com, MicrosoftDocs/entra-docs docs/identity-platform/…):
 * - OIDC = https://learn.microsoft.com/en-us/entra/identity-platform/v2-protocols-oidc
 *   ("Fetch the OpenID configuration document", "Sample response"), and the fields it defers to,
 *   OpenID Connect Discovery 1.0 §3 https://openid.net/specs/openid-connect-discovery-1_0.html#ProviderMetadata.
 * - IDTOKEN = https://learn.microsoft.com/en-us/entra/identity-platform/id-token-claims-reference
 *   ("Header claims", "Payload claims").
 * - LIFETIME = https://learn.microsoft.com/en-us/entra/identity-platform/id-tokens ("Token
 *   lifetime": "By default, an ID token is valid for one hour").
 * - OPTIONAL = https://learn.microsoft.com/en-us/entra/identity-platform/optional-claims-reference
 *   (`acrs`) and https://learn.microsoft.com/en-us/entra/identity-platform/developer-guide-conditional-access-authentication-context
 *   (requesting `acrs` through the `claims` parameter).
 * - JWKS = RFC 7517 §4 https://www.rfc-editor.org/rfc/rfc7517#section-4 (kty, use, kid).
 */
import { createHash, randomBytes, randomUUID } from "node:crypto";
import { type CryptoKey, exportJWK, generateKeyPair, type JWK, SignJWT } from "jose";
import type { Authorization, IdTokenTamper } from "./entra-oidc.js";

/** LIFETIME: "By default, an ID token is valid for one hour". */
const ID_TOKEN_LIFETIME_S = 3600;

export function discoveryDocument(authority: string, tenantId: string): Record<string, unknown> {
  const base = `${authority}/${tenantId}`;
  return {
    // OIDC "Sample response": the v2.0 document of a tenant-specific authority ("Authority URL:
    // https://login.microsoftonline.com/{tenant}/v2.0"), its endpoints under /{tenant}/oauth2/v2.0/
    // and /{tenant}/discovery/v2.0/keys, "subject_types_supported": ["pairwise"]. The userinfo
    // endpoint is Graph's (https://graph.microsoft.com/oidc/userinfo); the fake keeps it on
    // loopback so nothing ever leaves 127.0.0.1.
    token_endpoint: `${base}/oauth2/v2.0/token`,
    token_endpoint_auth_methods_supported: ["client_secret_post", "private_key_jwt", "client_secret_basic"],
    jwks_uri: `${base}/discovery/v2.0/keys`,
    response_modes_supported: ["query", "fragment", "form_post"],
    subject_types_supported: ["pairwise"],
    id_token_signing_alg_values_supported: ["RS256"],
    response_types_supported: ["code", "id_token", "code id_token", "id_token token"],
    scopes_supported: ["openid", "profile", "email", "offline_access"],
    // IDTOKEN `iss`: "If the token was issued by the v2.0 endpoint, the URI ends in /v2.0".
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

/**
 * The tenant's signing key (published at jwks_uri with its `kid`, JWKS) and an impostor's (never
 * published, for bad signatures).
 */
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
      // IDTOKEN `ver`: "Indicates the version of the ID token"; `tid`: "the immutable tenant ID".
      ver: "2.0",
      tid: tenantId,
      // IDTOKEN `sub`: "a pairwise identifier and is unique to an application ID. If a single user
      // signs into two different apps using two different client IDs, those apps receive two
      // different values for the subject claim".
      sub: createHash("sha256").update(`${user.oid}:${auth.clientId}`).digest("base64url"),
      // IDTOKEN `uti`: "Unique, per-token identifier".
      uti: randomBytes(16).toString("base64url"),
    };
    // IDTOKEN `oid`, `name`, `preferred_username`: "The profile scope is required to receive this
    // claim" (preferred_username "Present only in v2.0 tokens").
    if (auth.scopes.includes("profile")) {
      claims.oid = user.oid;
      claims.name = user.name;
      claims.preferred_username = user.upn;
    }
    // IDTOKEN `nonce`: "matches the parameter included in the original authorize request".
    if (auth.nonce !== undefined) claims.nonce = tamper === "wrong-nonce" ? "someone-elses-nonce" : auth.nonce;
    // IDTOKEN `email`: "On the v2.0 endpoint, your app can also request the email OpenID Connect
    // scope"; a user with no address gets no claim.
    if (auth.scopes.includes("email") && user.email) claims.email = user.email;
    // OPTIONAL `acrs`: the authentication context IDs the sign-in satisfied, when one was requested.
    if (auth.acrsRequested && user.satisfies?.includes(auth.acrsRequested)) claims.acrs = [auth.acrsRequested];
    // IDTOKEN `iat`/`nbf`/`exp` (Unix timestamps); "expired" backdates a token past its lifetime.
    const issuedAt = tamper === "expired" ? now - 2 * ID_TOKEN_LIFETIME_S : now;
    const key: CryptoKey = tamper === "bad-signature" ? this.impostor : this.signing;
    // IDTOKEN "Header claims": `typ` "always JWT", `alg` e.g. "RS256", `kid` the signing key's id.
    // `aud` is the app's client ID ("The token should be rejected if it fails to match").
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
