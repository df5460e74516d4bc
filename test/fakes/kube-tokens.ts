/**
 * How the fake Kubernetes API server authenticates the bearer tokens it receives, the way AKS and
 * EKS authenticate jitbot. A token that does not verify gets 401 Unauthorized.
 */
import { createHash, createHmac } from "node:crypto";
import type { IdentityEndpoint } from "./identity-endpoint.js";
import type { UserInfo } from "./kube-rbac.js";

export type TokenVerifier = (token: string) => UserInfo | undefined;

/** "The access token that accesses AKS clusters must be issued for this application" (kubelogin-authentication). */
export const AKS_SERVER_APP_ID = "6dae42f8-4368-4678-94ff-3960e28e3630";

/**
 * AKS: a token the (fake) Entra endpoint issued for the AKS server application, not yet ended. The
 * webhook names the caller by `upn`, else `oid` (kubeguard/guard auth/providers/azure/azure.go); a
 * workload identity has no upn, so jitbot is its service principal's object id.
 */
export function aksTokenVerifier(
  identity: IdentityEndpoint,
  jitbot: UserInfo,
  now: () => Date = () => new Date(),
): TokenVerifier {
  return (token) => {
    const issued = identity.issued.get(token);
    if (!issued || issued.resource !== AKS_SERVER_APP_ID) return undefined;
    if (issued.expiresAt <= now().getTime()) return undefined;
    return jitbot;
  };
}

export interface EksVerifierOptions {
  clusterName: string;
  /** The STS the presigned URL must go to (the fake STS's origin, e.g. http://127.0.0.1:4566). */
  stsOrigin: string;
  region: string;
  /** Secret keys by access key id (what STS knows), and the Kubernetes user each maps to. */
  keys: Map<string, { secretAccessKey: string; user: UserInfo }>;
  now: () => Date;
}

/** The query parameters the authenticator allows (pkg/token/token.go `parameterWhitelist`). */
const ALLOWED_PARAMS = new Set([
  "action",
  "version",
  "x-amz-algorithm",
  "x-amz-credential",
  "x-amz-date",
  "x-amz-expires",
  "x-amz-security-token",
  "x-amz-signature",
  "x-amz-signedheaders",
]);
const PREFIX = "k8s-aws-v1.";
/** "The token is valid for 15 minutes" (aws-iam-authenticator README); Verify allows 0–900 s X-Amz-Expires. */
const TOKEN_MS = 15 * 60_000;

/**
 * EKS: aws-iam-authenticator's Verify (pkg/token/token.go), step by step, then the SigV4 signature
 * recomputed with the caller's secret key — the check STS does when the authenticator forwards the
 * presigned GetCallerIdentity with its own `x-k8s-aws-id` header (so a token for another cluster
 * fails). The real verifier only accepts https STS hosts; this one accepts exactly the fake STS.
 */
export function eksTokenVerifier(options: EksVerifierOptions): TokenVerifier {
  return (token) => {
    if (!token.startsWith(PREFIX) || token.length > 4096) return undefined; // "token is too large" (maxTokenLenBytes)
    const encoded = token.slice(PREFIX.length);
    if (!/^[A-Za-z0-9_-]+$/.test(encoded)) return undefined; // base64.RawURLEncoding: no padding
    let url: URL;
    try {
      url = new URL(Buffer.from(encoded, "base64url").toString("utf8"));
    } catch {
      return undefined;
    }
    if (url.origin !== options.stsOrigin || url.pathname !== "/") return undefined;
    const seen = new Set<string>();
    for (const key of url.searchParams.keys()) {
      const lower = key.toLowerCase();
      if (seen.has(lower) || !ALLOWED_PARAMS.has(lower)) return undefined; // duplicate or unknown parameter
      seen.add(lower);
    }
    const q = url.searchParams;
    if (q.get("Action") !== "GetCallerIdentity") return undefined;
    const signedHeaders = (q.get("X-Amz-SignedHeaders") ?? "").split(";");
    if (!signedHeaders.includes("x-k8s-aws-id")) return undefined; // "client did not sign the x-k8s-aws-id header"
    const expires = Number(q.get("X-Amz-Expires"));
    if (!Number.isInteger(expires) || expires < 0 || expires > 900) return undefined;
    const date = parseAmzDate(q.get("X-Amz-Date") ?? "");
    const now = options.now().getTime();
    if (date === undefined || now > date + TOKEN_MS || date > now + 5 * 60_000) return undefined;
    const [accessKeyId = "", day = "", region = "", service = ""] = (q.get("X-Amz-Credential") ?? "").split("/");
    const key = options.keys.get(accessKeyId);
    if (!key || region !== options.region || service !== "sts") return undefined;
    const headers: Record<string, string> = { host: url.host, "x-k8s-aws-id": options.clusterName };
    if (signedHeaders.some((h) => headers[h] === undefined)) return undefined;
    const expected = signature(url, signedHeaders, headers, key.secretAccessKey, day, region);
    return expected === q.get("X-Amz-Signature") ? key.user : undefined;
  };
}

function parseAmzDate(text: string): number | undefined {
  const m = /^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z$/.exec(text);
  if (!m) return undefined;
  return Date.UTC(Number(m[1]), Number(m[2]) - 1, Number(m[3]), Number(m[4]), Number(m[5]), Number(m[6]));
}

/** RFC 3986 encoding as SigV4's canonical query string asks. */
function uriEncode(text: string): string {
  return encodeURIComponent(text).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
}

/**
 * SigV4 for a presigned GET, from "Create a signed AWS API request"
 * (docs.aws.amazon.com/IAM/latest/UserGuide/create-signed-request.html): canonical request with the
 * query minus X-Amz-Signature, the signed headers, the empty body's hash; string to sign; derived key.
 */
function signature(
  url: URL,
  signedHeaders: string[],
  headers: Record<string, string>,
  secret: string,
  day: string,
  region: string,
): string {
  const query = [...url.searchParams.entries()]
    .filter(([k]) => k !== "X-Amz-Signature")
    .map(([k, v]) => [uriEncode(k), uriEncode(v)] as const)
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .map(([k, v]) => `${k}=${v}`)
    .join("&");
  const canonicalRequest = [
    "GET",
    "/",
    query,
    `${signedHeaders.map((h) => `${h}:${headers[h]}`).join("\n")}\n`,
    signedHeaders.join(";"),
    createHash("sha256").update("").digest("hex"),
  ].join("\n");
  const amzDate = url.searchParams.get("X-Amz-Date") ?? "";
  const scope = `${day}/${region}/sts/aws4_request`;
  const stringToSign = [
    "AWS4-HMAC-SHA256",
    amzDate,
    scope,
    createHash("sha256").update(canonicalRequest).digest("hex"),
  ].join("\n");
  let key: Buffer = createHmac("sha256", `AWS4${secret}`).update(day).digest();
  for (const part of [region, "sts", "aws4_request"]) key = createHmac("sha256", key).update(part).digest();
  return createHmac("sha256", key).update(stringToSign).digest("hex");
}
