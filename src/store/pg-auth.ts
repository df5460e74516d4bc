/**
 * How jitbot proves itself to PostgreSQL: the URL's password, or a short-lived token from the cloud
 * the bot already runs in, so no database password sits in a Secret. The store passes the function
 * returned here as pg's `password` option; pg calls it for every new connection.
 */
import { defaultProvider } from "@aws-sdk/credential-provider-node";
import { DefaultAzureCredential, type TokenCredential } from "@azure/identity";
import { SignatureV4 } from "@smithy/signature-v4";
import type { AwsCredentialIdentity, AwsCredentialIdentityProvider } from "@smithy/types";
import { type Clock, systemClock } from "../domain/clock.js";
import { NodeSha256 } from "../sigv4-sha256.js";

export const DATABASE_AUTH_MODES = ["password", "azure-entra", "aws-iam"] as const;
export type DatabaseAuthMode = (typeof DATABASE_AUTH_MODES)[number];

/**
 * The scope of Azure Database for PostgreSQL for Microsoft Entra tokens
 * (learn.microsoft.com/azure/postgresql/flexible-server/how-to-connect-with-managed-identity).
 */
export const AZURE_POSTGRES_SCOPE = "https://ossrdbms-aad.database.windows.net/.default";

/**
 * An RDS IAM token is valid for 15 minutes (docs.aws.amazon.com/AmazonRDS/latest/UserGuide/
 * UsingWithRDS.IAMDBAuth.Connecting.html); it is only checked when a connection opens.
 */
export const RDS_TOKEN_SECONDS = 900;

/** A token is replaced this long before it ends, so a connection never opens with one about to lapse. */
const REFRESH_MARGIN_MS = 5 * 60_000;

export class DatabaseAuthError extends Error {
  constructor(
    readonly code: "DATABASE_AUTH_INVALID" | "DATABASE_TOKEN_FAILED",
    message: string,
  ) {
    super(message);
    this.name = "DatabaseAuthError";
  }
}

export interface DatabaseAuthOptions {
  clock?: Clock;
  /** Tests bring their own; production uses DefaultAzureCredential (workload identity, managed identity…). */
  azureCredential?: TokenCredential;
  /** Tests bring their own; production uses the AWS SDK's default chain (IRSA, EKS Pod Identity…). */
  awsCredentials?: AwsCredentialIdentityProvider;
}

type Token = { value: string; expiresAt: number };

/**
 * The password function for pg, or undefined when the URL's own password is used
 * (`JITBOT_DATABASE_AUTH` unset or `password`). A setting that cannot work throws a
 * DatabaseAuthError at start-up; a token that cannot be had rejects that one connection.
 */
export function databasePassword(
  env: NodeJS.ProcessEnv,
  options: DatabaseAuthOptions = {},
): (() => Promise<string>) | undefined {
  const mode = env.JITBOT_DATABASE_AUTH?.trim() || "password";
  if (!isMode(mode)) {
    throw invalid(`JITBOT_DATABASE_AUTH is "${mode}"; use one of ${DATABASE_AUTH_MODES.join(", ")}`);
  }
  if (mode === "password") return undefined;
  const target = tokenTarget(env.JITBOT_DATABASE_URL, mode);
  const clock = options.clock ?? systemClock;
  if (mode === "azure-entra") {
    const credential = options.azureCredential ?? new DefaultAzureCredential();
    return cached(clock, () => entraToken(credential));
  }
  const region = env.AWS_REGION?.trim() || regionOfRdsHost(target.host);
  if (!region) {
    throw invalid(
      `set AWS_REGION: JITBOT_DATABASE_AUTH=aws-iam signs for the database's region, and ${target.host} does not name one`,
    );
  }
  const credentials = options.awsCredentials ?? defaultProvider();
  return cached(clock, () => rdsToken({ ...target, region, credentials, now: clock.now() }));
}

function isMode(value: string): value is DatabaseAuthMode {
  return (DATABASE_AUTH_MODES as readonly string[]).includes(value);
}

function invalid(message: string): DatabaseAuthError {
  return new DatabaseAuthError("DATABASE_AUTH_INVALID", message);
}

type Target = { host: string; port: number; user: string };

function tokenTarget(url: string | undefined, mode: DatabaseAuthMode): Target {
  let parsed: URL;
  try {
    parsed = new URL(url?.trim() ?? "");
  } catch {
    throw invalid(`JITBOT_DATABASE_AUTH=${mode} needs JITBOT_DATABASE_URL=postgres://<user>@<host>:<port>/<database>`);
  }
  // pg lets a password in the URL override the password function: the token would never be used.
  if (parsed.password) {
    throw invalid(
      `JITBOT_DATABASE_AUTH=${mode} uses a token as the password; remove the password from JITBOT_DATABASE_URL`,
    );
  }
  const user = decodeURIComponent(parsed.username);
  if (!user || !parsed.hostname) {
    throw invalid(
      `JITBOT_DATABASE_AUTH=${mode} needs the database user and host in JITBOT_DATABASE_URL (postgres://<user>@<host>:<port>/<database>)`,
    );
  }
  return { host: parsed.hostname, port: Number(parsed.port || 5432), user };
}

/** `mydb.abc123.eu-west-1.rds.amazonaws.com` (or `.amazonaws.com.cn`) → `eu-west-1`. */
export function regionOfRdsHost(host: string): string | undefined {
  return /\.([a-z]{2}(?:-[a-z]+)+-\d+)\.rds\.amazonaws\.com(?:\.cn)?$/.exec(host)?.[1];
}

/**
 * One token shared by every connection until shortly before it ends; pg opens connections in
 * bursts, so callers that arrive while a token is being fetched wait for that same fetch.
 * A failure is not cached: the next connection tries again.
 */
function cached(clock: Clock, fetch: () => Promise<Token>): () => Promise<string> {
  let current: Token | undefined;
  let inFlight: Promise<Token> | undefined;
  return async () => {
    const now = clock.now().getTime();
    if (current && current.expiresAt - REFRESH_MARGIN_MS > now) return current.value;
    inFlight ??= fetch().finally(() => {
      inFlight = undefined;
    });
    try {
      current = await inFlight;
    } catch (error) {
      // Entra or STS briefly down: a token that still has a minute left opens this connection.
      if (current && current.expiresAt - 60_000 > now) return current.value;
      throw error;
    }
    return current.value;
  };
}

async function entraToken(credential: TokenCredential): Promise<Token> {
  let token: Awaited<ReturnType<TokenCredential["getToken"]>>;
  try {
    token = await credential.getToken(AZURE_POSTGRES_SCOPE);
  } catch (error) {
    throw tokenFailed("a Microsoft Entra token", error);
  }
  if (!token) throw tokenFailed("a Microsoft Entra token", new Error("the credential returned none"));
  return { value: token.token, expiresAt: token.expiresOnTimestamp };
}

type RdsTokenInput = Target & { region: string; credentials: AwsCredentialIdentityProvider; now: Date };

/**
 * The RDS IAM token is a SigV4-presigned `GET https://<host>:<port>/?Action=connect&DBUser=<user>`
 * for service `rds-db`, valid 900 s, with the scheme removed; the same request @aws-sdk/rds-signer
 * builds (docs.aws.amazon.com/AmazonRDS/latest/UserGuide/UsingWithRDS.IAMDBAuth.Connecting.html).
 */
async function rdsToken(input: RdsTokenInput): Promise<Token> {
  let credentials: AwsCredentialIdentity;
  try {
    credentials = await input.credentials();
  } catch (error) {
    throw tokenFailed("AWS credentials for the RDS token", error);
  }
  const signer = new SignatureV4({ service: "rds-db", region: input.region, credentials, sha256: NodeSha256 });
  const presigned = await signer.presign(
    {
      method: "GET",
      protocol: "https:",
      hostname: input.host,
      port: input.port,
      path: "/",
      query: { Action: "connect", DBUser: input.user },
      headers: { host: `${input.host}:${input.port}` },
    },
    { expiresIn: RDS_TOKEN_SECONDS, signingDate: input.now },
  );
  const query = Object.entries(presigned.query ?? {})
    .map(([key, value]) => `${rfc3986(key)}=${rfc3986(String(value))}`)
    .join("&");
  // Keys signed from session credentials stop working when the session ends, whatever X-Amz-Expires says.
  const expiresAt = Math.min(
    input.now.getTime() + RDS_TOKEN_SECONDS * 1000,
    credentials.expiration?.getTime() ?? Number.POSITIVE_INFINITY,
  );
  return { value: `${input.host}:${input.port}/?${query}`, expiresAt };
}

function rfc3986(text: string): string {
  return encodeURIComponent(text).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
}

/** Only the cause's first line: SDK errors can be long, and none of them holds the token. */
function tokenFailed(what: string, error: unknown): DatabaseAuthError {
  const reason = (error instanceof Error ? error.message : String(error)).split("\n")[0]?.slice(0, 300);
  return new DatabaseAuthError(
    "DATABASE_TOKEN_FAILED",
    `jitbot could not get ${what} to sign in to the database: ${reason}`,
  );
}
