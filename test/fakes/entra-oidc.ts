/**
 * A fake Microsoft identity platform for one tenant, speaking OpenID Connect as Entra ID documents
 * it, on 127.0.0.1 over HTTPS (the test CA of tls-global-setup.ts, trusted like any public CA), so
 * jitbot's openid-client talks to it exactly as it talks to login.microsoftonline.com.
 *
 * Sources (https://learn.microsoft.com/en-us/entra/identity-platform/<page>):
 * - OIDC: "OpenID Connect on the Microsoft identity platform"
 *   (https://learn.microsoft.com/en-us/entra/identity-platform/v2-protocols-oidc): the discovery
 *   document at /{tenant}/v2.0/.well-known/openid-configuration and its fields.
 * - CODE: "Microsoft identity platform and OAuth 2.0 authorization code flow"
 *   (https://learn.microsoft.com/en-us/entra/identity-platform/v2-oauth2-auth-code-flow):
 *   the /authorize parameters, the redirect back with `code` and `state` (or `error`), the token
 *   request and its error body {error, error_description, error_codes, timestamp, trace_id, correlation_id}.
 * - IDTOKEN: "ID token claims reference" (id-token-claims-reference): aud, iss, iat, nbf, exp, name,
 *   nonce, oid, preferred_username, sub, tid, ver; `email` and `acrs` are optional claims
 *   (optional-claims-reference), `acrs` requested through the `claims` parameter
 *   (developer-guide-conditional-access-authentication-context).
 * - AADSTS: "Microsoft Entra authentication and authorization error codes"
 *   (https://learn.microsoft.com/en-us/entra/identity-platform/reference-error-codes).
 * - PKCE: RFC 7636 §4.6 (https://www.rfc-editor.org/rfc/rfc7636#section-4.6): the server compares
 *   BASE64URL(SHA256(code_verifier)) with the code_challenge.
 */
import { createHash, randomBytes, randomUUID } from "node:crypto";
import { readFileSync } from "node:fs";
import { createServer, type Server } from "node:https";
import type { AddressInfo } from "node:net";
import { discoveryDocument, IdTokenSigner } from "./entra-oidc-tokens.js";

export interface OidcUser {
  oid: string;
  name: string;
  /** The UPN, which v2 tokens carry as preferred_username. */
  upn: string;
  email?: string;
  /** Authentication contexts this person's sign-in satisfies (their CA policies: MFA done…). */
  satisfies?: string[];
}

/** What a test makes the next token say that a real Entra would not: each must be refused. */
export type IdTokenTamper = "expired" | "bad-signature" | "wrong-audience" | "wrong-nonce";

export interface Authorization {
  clientId: string;
  redirectUri: string;
  codeChallenge: string;
  nonce: string | undefined;
  scopes: string[];
  acrsRequested: string | undefined;
  user: OidcUser;
  issuedAt: number;
  redeemed: boolean;
}

export interface FakeEntraOidc {
  /** https://127.0.0.1:PORT — what AZURE_AUTHORITY_HOST names. */
  authority: string;
  issuer: string;
  /** Who signs in at the next /authorize (the person at the browser); undefined: they cancel. */
  signInAs: OidcUser | undefined;
  tamper: IdTokenTamper | undefined;
  /** The login_hint of each /authorize, and every request's method and path, in order. */
  loginHints: (string | undefined)[];
  requests: string[];
  close(): Promise<void>;
}

/** Authorization codes are short lived: "typically they expire after about 10 minutes" (CODE). */
const CODE_LIFETIME_MS = 10 * 60_000;

export async function startFakeEntraOidc(options: {
  tenantId: string;
  clientId: string;
  clientSecret: string;
  /** The app registration's redirect URIs. */
  redirectUris: string[];
  now: () => Date;
}): Promise<FakeEntraOidc> {
  const keyPath = process.env.JITBOT_TEST_TLS_KEY;
  const certPath = process.env.JITBOT_TEST_TLS_CERT;
  if (!keyPath || !certPath) throw new Error("no test certificate: run through vitest");
  const { tenantId, clientId, clientSecret } = options;
  const codes = new Map<string, Authorization>();

  let authority = "";
  const fake: FakeEntraOidc = {
    authority: "",
    issuer: "",
    signInAs: undefined,
    tamper: undefined,
    loginHints: [],
    requests: [],
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };

  const tokens = await IdTokenSigner.create(tenantId);
  const discovery = () => discoveryDocument(authority, tenantId);
  const idToken = (auth: Authorization) => tokens.sign(auth, options.now(), fake.tamper);

  const server: Server = createServer({ key: readFileSync(keyPath), cert: readFileSync(certPath) }, (req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (chunk: Buffer) => chunks.push(chunk));
    req.on("end", () => {
      const url = new URL(req.url ?? "/", authority);
      fake.requests.push(`${req.method} ${url.pathname}`);
      const json = (status: number, body: object) => {
        res.writeHead(status, { "content-type": "application/json; charset=utf-8", "cache-control": "no-store" });
        res.end(JSON.stringify(body));
      };
      const aadsts = (status: number, error: string, code: number, description: string) =>
        json(status, {
          error,
          error_description: `AADSTS${code}: ${description} Trace ID: ${randomUUID()}`,
          error_codes: [code],
          timestamp: options.now().toISOString(),
          trace_id: randomUUID(),
          correlation_id: randomUUID(),
        });
      // AADSTS: an unknown tenant in the path.
      if (!url.pathname.startsWith(`/${tenantId}/`)) {
        return aadsts(400, "invalid_tenant", 90002, `Tenant '${url.pathname.split("/")[1] ?? ""}' not found.`);
      }
      const path = url.pathname.slice(tenantId.length + 1);
      if (req.method === "GET" && path === "/v2.0/.well-known/openid-configuration") return json(200, discovery());
      if (req.method === "GET" && path === "/discovery/v2.0/keys") return json(200, { keys: [tokens.publicJwk] });
      if (req.method === "GET" && path === "/oauth2/v2.0/authorize") {
        const q = url.searchParams;
        fake.loginHints.push(q.get("login_hint") ?? undefined);
        // AADSTS700016 / AADSTS50011: Entra shows its own error page and never redirects to an
        // address that is not registered for the app.
        if (q.get("client_id") !== clientId) {
          res.writeHead(400, { "content-type": "text/html" });
          return res.end(
            `AADSTS700016: Application with identifier '${q.get("client_id")}' was not found in the directory.`,
          );
        }
        const redirectUri = q.get("redirect_uri") ?? "";
        if (!options.redirectUris.includes(redirectUri)) {
          res.writeHead(400, { "content-type": "text/html" });
          return res.end(
            `AADSTS50011: The redirect URI '${redirectUri}' specified in the request does not match the redirect URIs configured for the application '${clientId}'.`,
          );
        }
        const back = new URL(redirectUri);
        const state = q.get("state");
        const fail = (error: string, description: string) => {
          back.searchParams.set("error", error);
          back.searchParams.set("error_description", description);
          if (state !== null) back.searchParams.set("state", state);
          res.writeHead(302, { location: back.href });
          res.end();
        };
        // CODE: response_type must include code for this flow; scope must include openid for an ID token.
        if (q.get("response_type") !== "code") {
          return fail(
            "unsupported_response_type",
            "AADSTS700054: response_type 'id_token' is not enabled for the application.",
          );
        }
        const scopes = (q.get("scope") ?? "").split(" ").filter(Boolean);
        if (!scopes.includes("openid"))
          return fail("invalid_request", "AADSTS90014: The required field 'scope' is missing.");
        // CODE recommends PKCE with S256 for every app and requires it only for single-page apps;
        // this fake insists on it, as the one thing it is here to prove is that jitbot sends it.
        const challenge = q.get("code_challenge");
        if (!challenge || q.get("code_challenge_method") !== "S256") {
          return fail("invalid_request", "The fake requires PKCE (code_challenge with code_challenge_method=S256).");
        }
        const user = fake.signInAs;
        if (!user) return fail("access_denied", "AADSTS65004: User declined to consent to access the app.");
        let acrsRequested: string | undefined;
        const claims = q.get("claims");
        if (claims) {
          try {
            const parsed = JSON.parse(claims) as { id_token?: { acrs?: { value?: unknown } } };
            const value = parsed.id_token?.acrs?.value;
            acrsRequested = typeof value === "string" ? value : undefined;
          } catch {
            return fail("invalid_request", "AADSTS90019: The claims parameter is not valid JSON.");
          }
        }
        const code = randomBytes(32).toString("base64url");
        codes.set(code, {
          clientId,
          redirectUri,
          codeChallenge: challenge,
          nonce: q.get("nonce") ?? undefined,
          scopes,
          acrsRequested,
          user,
          issuedAt: options.now().getTime(),
          redeemed: false,
        });
        back.searchParams.set("code", code);
        if (state !== null) back.searchParams.set("state", state);
        res.writeHead(302, { location: back.href });
        return res.end();
      }
      if (req.method === "POST" && path === "/oauth2/v2.0/token") {
        const form = new URLSearchParams(Buffer.concat(chunks).toString("utf8"));
        if (form.get("client_id") !== clientId) {
          return aadsts(
            400,
            "unauthorized_client",
            700016,
            `Application with identifier '${form.get("client_id")}' was not found in the directory.`,
          );
        }
        if (form.get("client_secret") !== clientSecret) {
          return aadsts(401, "invalid_client", 7000215, "Invalid client secret provided.");
        }
        if (form.get("grant_type") !== "authorization_code") {
          return aadsts(400, "unsupported_grant_type", 70003, "The app requested an unsupported grant type.");
        }
        const auth = codes.get(form.get("code") ?? "");
        if (!auth) return aadsts(400, "invalid_grant", 9002313, "Invalid request. Request is malformed or invalid.");
        if (auth.redeemed)
          return aadsts(400, "invalid_grant", 54005, "OAuth2 Authorization code was already redeemed.");
        if (options.now().getTime() - auth.issuedAt > CODE_LIFETIME_MS) {
          return aadsts(400, "invalid_grant", 70008, "The provided authorization code or refresh token has expired.");
        }
        if (form.get("redirect_uri") !== auth.redirectUri) {
          return aadsts(
            400,
            "invalid_grant",
            50148,
            "The redirect_uri does not match the one in the authorization request.",
          );
        }
        const verifier = form.get("code_verifier") ?? "";
        if (createHash("sha256").update(verifier).digest("base64url") !== auth.codeChallenge) {
          return aadsts(
            400,
            "invalid_grant",
            501481,
            "The Code_Verifier does not match the code_challenge supplied in the authorization request.",
          );
        }
        auth.redeemed = true;
        // Both outcomes answer the request, so the chain never rejects and nothing waits on it.
        void idToken(auth).then(
          (token) =>
            json(200, {
              token_type: "Bearer",
              scope: auth.scopes.join(" "),
              expires_in: 3599,
              ext_expires_in: 3599,
              access_token: randomBytes(24).toString("base64url"),
              id_token: token,
            }),
          (error: unknown) => json(500, { error: "server_error", error_description: String(error) }),
        );
        return;
      }
      aadsts(
        404,
        "invalid_request",
        900561,
        `The endpoint only accepts ${path.endsWith("token") ? "POST" : "GET"} requests.`,
      );
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  authority = `https://127.0.0.1:${(server.address() as AddressInfo).port}`;
  fake.authority = authority;
  fake.issuer = `${authority}/${tenantId}/v2.0`;
  tokens.issuerBase = `${authority}/${tenantId}`;
  return fake;
}
