/**
 * How jitbot reaches a cluster's API server with its own identity: the `clusters` entry of the
 * policy gives the server and its CA; the token comes from the cloud the cluster lives in.
 *
 * - AKS with Entra integration: an Entra access token for the AKS server application
 *   6dae42f8-4368-4678-94ff-3960e28e3630 ("The access token that accesses AKS clusters must be issued
 *   for this application", learn.microsoft.com/azure/aks/kubelogin-authentication), scope in the v2
 *   `<resource>/.default` form (learn.microsoft.com/azure/aks/workload-identity-overview).
 * - EKS: what `aws eks get-token` prints: `k8s-aws-v1.` + unpadded base64url of a SigV4-presigned
 *   `GET https://sts.<region>.amazonaws.com/?Action=GetCallerIdentity&Version=2011-06-15` whose signed
 *   headers include `x-k8s-aws-id: <cluster name>`, presigned for 60 s and accepted for 15 minutes
 *   (github.com/kubernetes-sigs/aws-iam-authenticator README "API Authorization from Outside a
 *   Cluster", pkg/token/token.go; aws-cli customizations/eks/get_token.py).
 */
import { defaultProvider } from "@aws-sdk/credential-provider-node";
import type { TokenCredential } from "@azure/identity";
import type { KubeConfig, User } from "@kubernetes/client-node";
import { SignatureV4 } from "@smithy/signature-v4";
import type { AwsCredentialIdentity, AwsCredentialIdentityProvider } from "@smithy/types";
import type { Cluster, Policy } from "../../config/schema.js";
import type { Clock } from "../../domain/clock.js";
import { NodeSha256 } from "../../sigv4-sha256.js";
import { ProviderError } from "../errors.js";
import { KeepAliveKubeConfig } from "./keep-alive.js";
import type { KubeCluster } from "./options.js";

export const AKS_SERVER_APP_ID = "6dae42f8-4368-4678-94ff-3960e28e3630";
export const AKS_SCOPE = `${AKS_SERVER_APP_ID}/.default`;
export const EKS_TOKEN_PREFIX = "k8s-aws-v1.";
/** aws-cli's URL_TIMEOUT and the authenticator's requestPresignParam. */
const EKS_PRESIGN_SECONDS = 60;
/** The authenticator accepts a token until X-Amz-Date + 15 min; aws-cli calls it expired after 14. */
const EKS_TOKEN_LIFETIME_MS = 14 * 60_000;
/** A token is replaced this long before it ends, so no call starts with one about to lapse. */
const REFRESH_MARGIN_MS = 2 * 60_000;

/** Gives the bearer token jitbot presents to one cluster. */
export type TokenSource = () => Promise<string>;

export interface TokenDeps {
  env: NodeJS.ProcessEnv;
  clock: Clock;
  /** The credential the Entra grants use (DefaultAzureCredential in production). */
  azureCredential: () => TokenCredential;
  /** jitbot's own AWS credentials; by default env keys, else the SDK's chain (IRSA, Pod Identity). */
  awsCredentials?: AwsCredentialIdentityProvider;
}

/** The token source for a profile's cluster, cached until shortly before it ends. */
export function tokenSourceFor(cluster: Cluster, deps: TokenDeps): TokenSource {
  const mint =
    cluster.kind === "aks"
      ? () => aksToken(deps.azureCredential())
      : () => eksToken(cluster.name, stsEndpoint(deps.env, cluster.region), cluster.region, deps);
  let cached: { value: string; expiresAt: number } | undefined;
  let inFlight: Promise<{ value: string; expiresAt: number }> | undefined;
  return async () => {
    const now = deps.clock.now().getTime();
    if (cached && cached.expiresAt - REFRESH_MARGIN_MS > now) return cached.value;
    inFlight ??= mint().finally(() => {
      inFlight = undefined;
    });
    cached = await inFlight;
    return cached.value;
  };
}

async function aksToken(credential: TokenCredential): Promise<{ value: string; expiresAt: number }> {
  let token: Awaited<ReturnType<TokenCredential["getToken"]>>;
  try {
    token = await credential.getToken(AKS_SCOPE);
  } catch (error) {
    throw tokenFailed("an Entra token for the AKS server application", error);
  }
  if (!token) throw tokenFailed("an Entra token for the AKS server application", new Error("none returned"));
  return { value: token.token, expiresAt: token.expiresOnTimestamp };
}

/** STS of the cluster's region, or AWS_ENDPOINT_URL_STS (a VPC endpoint, the tests' fake). */
export function stsEndpoint(env: NodeJS.ProcessEnv, region: string): URL {
  const configured = env.AWS_ENDPOINT_URL_STS || env.AWS_ENDPOINT_URL;
  return new URL(configured || `https://sts.${region}.amazonaws.com`);
}

async function eksToken(
  clusterName: string,
  sts: URL,
  region: string,
  deps: TokenDeps,
): Promise<{ value: string; expiresAt: number }> {
  let credentials: AwsCredentialIdentity;
  try {
    credentials = await (deps.awsCredentials ?? awsCredentialsFrom(deps.env))();
  } catch (error) {
    throw tokenFailed("AWS credentials for the EKS token", error);
  }
  const now = deps.clock.now();
  const signer = new SignatureV4({ service: "sts", region, credentials, sha256: NodeSha256 });
  const host = sts.port ? `${sts.hostname}:${sts.port}` : sts.hostname;
  const presigned = await signer.presign(
    {
      method: "GET",
      protocol: sts.protocol,
      hostname: sts.hostname,
      port: sts.port ? Number(sts.port) : undefined,
      path: "/",
      query: { Action: "GetCallerIdentity", Version: "2011-06-15" },
      headers: { host, "x-k8s-aws-id": clusterName },
    },
    { expiresIn: EKS_PRESIGN_SECONDS, signingDate: now },
  );
  const query = Object.entries(presigned.query ?? {})
    .map(([key, value]) => `${rfc3986(key)}=${rfc3986(String(value))}`)
    .join("&");
  const url = `${sts.protocol}//${host}/?${query}`;
  // Keys from a session stop working when it ends, whatever the presigned URL says.
  const expiresAt = Math.min(
    now.getTime() + EKS_TOKEN_LIFETIME_MS,
    credentials.expiration?.getTime() ?? Number.POSITIVE_INFINITY,
  );
  return { value: EKS_TOKEN_PREFIX + Buffer.from(url).toString("base64url"), expiresAt };
}

function awsCredentialsFrom(env: NodeJS.ProcessEnv): AwsCredentialIdentityProvider {
  if (env.AWS_ACCESS_KEY_ID && env.AWS_SECRET_ACCESS_KEY) {
    const keys: AwsCredentialIdentity = {
      accessKeyId: env.AWS_ACCESS_KEY_ID,
      secretAccessKey: env.AWS_SECRET_ACCESS_KEY,
      ...(env.AWS_SESSION_TOKEN ? { sessionToken: env.AWS_SESSION_TOKEN } : {}),
    };
    return async () => keys;
  }
  return defaultProvider();
}

function rfc3986(text: string): string {
  return encodeURIComponent(text).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
}

/** Only the cause's first line: SDK errors can be long; none holds the token. */
function tokenFailed(what: string, error: unknown): ProviderError {
  const reason = (error instanceof Error ? error.message : String(error)).split("\n")[0]?.slice(0, 200);
  return new ProviderError("FORBIDDEN", `jitbot could not get ${what} (${reason}); check the bot's cloud identity.`, {
    retryable: true,
    cause: error,
  });
}

const AUTH_PROVIDER = "jitbot";

/** client-node's Authenticator, which its index does not export. */
type Authenticator = Parameters<KubeConfig["addAuthenticator"]>[0];

/**
 * Puts jitbot's token on every request. client-node lets a user's `token` overwrite whatever an
 * authenticator set, so the user has none: the token always comes from here, fresh.
 */
class BearerAuthenticator implements Authenticator {
  constructor(private readonly token: TokenSource) {}

  isAuthProvider(user: User): boolean {
    return (user.authProvider as { name?: unknown } | undefined)?.name === AUTH_PROVIDER;
  }

  async applyAuthentication(_user: User, opts: { headers?: Record<string, unknown> }): Promise<void> {
    opts.headers = { ...opts.headers, Authorization: `Bearer ${await this.token()}` };
  }
}

/** A KubeConfig of one cluster whose credentials are jitbot's own, from `token`. */
export function kubeConfigFor(cluster: KubeCluster, token: TokenSource): KubeConfig {
  const config = new KeepAliveKubeConfig();
  config.addAuthenticator(new BearerAuthenticator(token));
  config.loadFromOptions({
    clusters: [{ name: cluster.name, server: cluster.server, caData: cluster.caData, skipTLSVerify: false }],
    users: [{ name: AUTH_PROVIDER, authProvider: { name: AUTH_PROVIDER } }],
    contexts: [{ name: cluster.name, cluster: cluster.name, user: AUTH_PROVIDER }],
    currentContext: cluster.name,
  });
  return config;
}

/** The `clusters` entry a profile's cluster is reached through (checked at start-up to exist). */
export function clusterEntryFor(policy: Policy, clusterName: string): KubeCluster {
  const entry = policy.clusters.find((c) => c.name === clusterName);
  if (!entry) {
    throw new ProviderError(
      "INVALID_REQUEST",
      `Cluster ${clusterName} has no entry in the policy's clusters (name, server, caData).`,
      { retryable: false },
    );
  }
  return entry;
}
