/**
 * A local token endpoint speaking the App Service managed-identity protocol, so the real
 * DefaultAzureCredential gets tokens without the network: with IDENTITY_ENDPOINT and IDENTITY_HEADER
 * set, @azure/identity (through MSAL) asks `GET <endpoint>?api-version=2019-08-01&resource=…` with
 * header X-IDENTITY-HEADER and expects {access_token, expires_on, resource, token_type}.
 *
 * Source: https://learn.microsoft.com/en-us/azure/app-service/overview-managed-identity, "REST
 * endpoint reference" (IDENTITY_ENDPOINT, IDENTITY_HEADER; query `resource`, `api-version`
 * 2019-08-01; header X-IDENTITY-HEADER "used to help mitigate server-side request forgery (SSRF)
 * attacks"; response access_token, expires_on "in seconds from 1970-01-01T0:0:0Z UTC", resource,
 * token_type).
 */
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";

export interface IdentityEndpoint {
  url: string;
  header: string;
  /** Resources tokens were asked for, in order. */
  requests: { resource: string | null; apiVersion: string | null }[];
  /**
   * Tokens handed out, with the resource (audience) each was issued for and when it ends (ms): a
   * fake resource server (the Kubernetes API server) verifies a token it receives against this, as
   * a real one verifies the token's signature and `aud`.
   */
  issued: Map<string, { resource: string | null; expiresAt: number }>;
  /** The env that makes DefaultAzureCredential use this endpoint and nothing else. */
  env(): Record<string, string>;
  close(): Promise<void>;
}

/** Variables that would make DefaultAzureCredential try another credential (and maybe the network). */
export const OTHER_AZURE_CREDENTIAL_VARS = [
  "AZURE_CLIENT_SECRET",
  "AZURE_CLIENT_CERTIFICATE_PATH",
  "AZURE_USERNAME",
  "AZURE_PASSWORD",
  "AZURE_FEDERATED_TOKEN_FILE",
  "AZURE_CLIENT_ID",
  "MSI_ENDPOINT",
  "MSI_SECRET",
  "IDENTITY_SERVER_THUMBPRINT",
  "IMDS_ENDPOINT",
  "AZURE_POD_IDENTITY_AUTHORITY_HOST",
  "HTTPS_PROXY",
  "HTTP_PROXY",
  "https_proxy",
  "http_proxy",
];

export async function startIdentityEndpoint(): Promise<IdentityEndpoint> {
  const header = `test-identity-header-${Math.random().toString(36).slice(2)}`;
  const requests: IdentityEndpoint["requests"] = [];
  let issued = 0;
  const tokens: IdentityEndpoint["issued"] = new Map();
  const server: Server = createServer((req, res) => {
    const url = new URL(req.url ?? "/", "http://127.0.0.1");
    const resource = url.searchParams.get("resource");
    requests.push({ resource, apiVersion: url.searchParams.get("api-version") });
    res.setHeader("Content-Type", "application/json");
    // The page documents the header as required and names no error body for its absence; the fake
    // refuses with an OAuth-shaped 401 so a caller without it gets no token.
    if (req.headers["x-identity-header"] !== header) {
      res.statusCode = 401;
      res.end(JSON.stringify({ error: "invalid_request", error_description: "X-IDENTITY-HEADER is missing or wrong" }));
      return;
    }
    issued += 1;
    const expiresOn = Math.floor(Date.now() / 1000) + 3600;
    tokens.set(`fake-graph-token-${issued}`, { resource, expiresAt: expiresOn * 1000 });
    res.end(
      JSON.stringify({
        access_token: `fake-graph-token-${issued}`,
        expires_on: String(expiresOn),
        resource,
        token_type: "Bearer",
      }),
    );
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  const url = `http://127.0.0.1:${port}/msi/token`;
  return {
    url,
    header,
    requests,
    issued: tokens,
    env: () => ({
      IDENTITY_ENDPOINT: url,
      IDENTITY_HEADER: header,
      // The production chain (environment, workload identity, managed identity) only: no az CLI.
      AZURE_TOKEN_CREDENTIALS: "prod",
    }),
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
