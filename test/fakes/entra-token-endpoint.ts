/**
 * The Microsoft identity platform's token endpoint for the client credentials grant with a client
 * secret, on 127.0.0.1 over HTTPS (the test CA), so a test can sign in the way `az login
 * --service-principal` does and learn whether a temporary service principal's secret still works.
 *
 * POST /{tenant}/oauth2/v2.0/token, form body client_id, client_secret, scope,
 * grant_type=client_credentials (Microsoft identity platform and the OAuth 2.0 client credentials
 * flow). Success: {token_type: "Bearer", expires_in, ext_expires_in, access_token}. Errors:
 * {error, error_description, error_codes, timestamp, trace_id, correlation_id} with the AADSTS code
 * first in the description (graph-lifetimes.ts says which secret is refused and why).
 *
 * Sources: CLIENTCREDS = https://learn.microsoft.com/en-us/entra/identity-platform/v2-oauth2-client-creds-grant-flow
 * ("Get a token", "Successful response": token_type "Bearer", expires_in, access_token; "Error
 * response"); AADSTS = https://learn.microsoft.com/en-us/entra/identity-platform/reference-error-codes.
 */
import { randomUUID } from "node:crypto";
import { readFileSync } from "node:fs";
import { createServer, type Server } from "node:https";
import type { AddressInfo } from "node:net";
import type { GraphDirectory } from "./graph-directory.js";
import { clientSecretRefusal } from "./graph-lifetimes.js";

export interface TokenEndpoint {
  /** e.g. https://127.0.0.1:43123 — the authority host. */
  authority: string;
  close(): Promise<void>;
}

export async function startTokenEndpoint(directory: GraphDirectory, tenantId: string): Promise<TokenEndpoint> {
  const keyPath = process.env.JITBOT_TEST_TLS_KEY;
  const certPath = process.env.JITBOT_TEST_TLS_CERT;
  if (!keyPath || !certPath) throw new Error("no test certificate: run through vitest");
  const server: Server = createServer({ key: readFileSync(keyPath), cert: readFileSync(certPath) }, (req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (chunk: Buffer) => chunks.push(chunk));
    req.on("end", () => {
      const form = new URLSearchParams(Buffer.concat(chunks).toString("utf8"));
      const send = (status: number, body: object) => {
        res.writeHead(status, { "Content-Type": "application/json; charset=utf-8" });
        res.end(JSON.stringify(body));
      };
      const refuse = (status: number, error: string, code: number, description: string) =>
        send(status, {
          error,
          error_description: description,
          error_codes: [code],
          timestamp: new Date(directory.now()).toISOString(),
          trace_id: randomUUID(),
          correlation_id: randomUUID(),
        });
      const path = new URL(req.url ?? "/", "https://127.0.0.1").pathname;
      // Every OAuth error is a 400 "unless specified otherwise" (RFC 6749 §5.2,
      // https://www.rfc-editor.org/rfc/rfc6749#section-5.2); 401 only for a client that failed to
      // authenticate (graph-lifetimes.ts). AADSTS90002 "InvalidTenantName - The tenant name wasn't
      // found in the data store" (AADSTS).
      if (!path.startsWith(`/${tenantId}/`)) {
        refuse(400, "invalid_tenant", 90002, `AADSTS90002: Tenant '${path.split("/")[1] ?? ""}' not found.`);
        return;
      }
      // An address this fake serves no endpoint at: no OAuth body, as for any unknown page.
      if (path !== `/${tenantId}/oauth2/v2.0/token`) {
        res.writeHead(404);
        res.end();
        return;
      }
      // AADSTS900561 "BadResourceRequestInvalidRequest - The endpoint only accepts {valid_verbs}
      // requests. Received a {invalid_verb} request" (AADSTS).
      if (req.method !== "POST") {
        refuse(
          400,
          "invalid_request",
          900561,
          `AADSTS900561: The endpoint only accepts POST, OPTIONS requests. Received a ${req.method ?? "GET"} request.`,
        );
        return;
      }
      // CLIENTCREDS "First case: Access token request with a shared secret": grant_type "Must be set
      // to client_credentials". Missing: AADSTS900144 ("The request body must contain the following
      // parameter"); another grant: unsupported_grant_type ("The authorization server doesn't
      // support the authorization grant type", AADSTS `error` table), AADSTS70003.
      const grantType = form.get("grant_type");
      if (!grantType) {
        refuse(
          400,
          "invalid_request",
          900144,
          "AADSTS900144: The request body must contain the following parameter: 'grant_type'.",
        );
        return;
      }
      if (grantType !== "client_credentials") {
        refuse(400, "unsupported_grant_type", 70003, "AADSTS70003: The app requested an unsupported grant type.");
        return;
      }
      const clientId = form.get("client_id") ?? "";
      const app = [...directory.applications.values()].find((a) => a.appId === clientId);
      const refusal = clientSecretRefusal(app, clientId, form.get("client_secret") ?? "", directory.now());
      if (refusal) {
        refuse(refusal.status, refusal.error, refusal.code, refusal.description);
        return;
      }
      // CLIENTCREDS "Successful response".
      send(200, {
        token_type: "Bearer",
        expires_in: 3599,
        ext_expires_in: 3599,
        access_token: `fake-sp-token-${randomUUID()}`,
      });
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return {
    authority: `https://127.0.0.1:${(server.address() as AddressInfo).port}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** Signs in as `appId` with `secret` the way az login does; the AADSTS code when refused. */
export async function signIn(
  endpoint: TokenEndpoint,
  tenantId: string,
  appId: string,
  secret: string,
): Promise<{ ok: true } | { ok: false; status: number; code: number | undefined }> {
  const res = await fetch(`${endpoint.authority}/${tenantId}/oauth2/v2.0/token`, {
    method: "POST",
    headers: { "Content-Type": "application/x-www-form-urlencoded" },
    body: new URLSearchParams({
      client_id: appId,
      client_secret: secret,
      scope: "https://management.azure.com/.default",
      grant_type: "client_credentials",
    }),
  });
  const body = (await res.json()) as { access_token?: string; error_codes?: number[] };
  return res.ok && body.access_token ? { ok: true } : { ok: false, status: res.status, code: body.error_codes?.[0] };
}
