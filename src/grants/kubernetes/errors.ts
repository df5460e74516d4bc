import { ApiException } from "@kubernetes/client-node";
import { isProviderError, ProviderError } from "../errors.js";

/** What jitbot was doing on which cluster, so the sentence names the permission or setting to fix. */
export interface KubeAction {
  cluster: string;
  server: string;
  /** e.g. "create RoleBinding jitbot-jr-7k3q9m in namespace payments". */
  what: string;
}

/** The `Status` the API server sends with a failure (api-conventions.md, "Response Status Kind"). */
interface StatusBody {
  reason?: string;
  message?: string;
  details?: { retryAfterSeconds?: number; causes?: { field?: string; message?: string }[] };
}

const DEFAULT_RETRY_AFTER_MS = 1_000;

/**
 * client-node 1.4 throws ApiException with the HTTP code and, except for 401, the raw response text
 * as `body`. JSON.parse it to read the Status; a proxy's HTML page is just no Status.
 */
export function statusOf(error: unknown): { code: number; status: StatusBody; retryAfter?: string } | undefined {
  if (!(error instanceof ApiException)) return undefined;
  let status: StatusBody = {};
  const body: unknown = error.body;
  if (typeof body === "string" && body.trim().startsWith("{")) {
    try {
      status = JSON.parse(body) as StatusBody;
    } catch {
      status = {};
    }
  } else if (typeof body === "object" && body !== null) status = body as StatusBody;
  const headers = (error.headers ?? {}) as Record<string, string>;
  return { code: error.code, status, retryAfter: headers["retry-after"] };
}

export function isStatus(error: unknown, code: number, reason?: string): boolean {
  const found = statusOf(error);
  return found !== undefined && found.code === code && (reason === undefined || found.status.reason === reason);
}

/** The API server's message, first line, bounded: it names users and rules, never a token. */
function serverSaid(status: StatusBody): string {
  const message = (status.message ?? "").split("\n")[0]?.slice(0, 300) ?? "";
  return message ? ` (the API server said: ${message})` : "";
}

/**
 * One sentence per failure, naming what to change. The API server's own message goes along where it
 * helps the operator (a 403 names the missing verb); a network error's text (addresses, TLS) is
 * kept only as the cause.
 */
export function toProviderError(error: unknown, action: KubeAction): ProviderError {
  if (isProviderError(error)) return error;
  const found = statusOf(error);
  const cause = error;
  if (!found) {
    return new ProviderError(
      "UNAVAILABLE",
      `jitbot could not reach the API server of cluster ${action.cluster} (${action.server}) to ${action.what}; check the clusters entry's server and caData and the network path.`,
      { retryable: true, cause },
    );
  }
  const { code, status } = found;
  if (code === 401) {
    return new ProviderError(
      "FORBIDDEN",
      `Cluster ${action.cluster} did not accept jitbot's token (401 Unauthorized) when jitbot tried to ${action.what}; check that the cluster trusts the bot's identity (AKS: Entra integration; EKS: an access entry for the bot's IAM role).`,
      { retryable: false, cause },
    );
  }
  if (code === 403) {
    return new ProviderError(
      "FORBIDDEN",
      `Cluster ${action.cluster} does not allow jitbot to ${action.what}${serverSaid(status)}; give the bot's identity the RBAC of manifests/examples (bindings, bind on the profile's role, subjectaccessreviews).`,
      { retryable: false, cause },
    );
  }
  if (code === 404) {
    return new ProviderError("NOT_FOUND", `Cluster ${action.cluster} could not ${action.what}${serverSaid(status)}.`, {
      retryable: false,
      cause,
    });
  }
  if (code === 422 || code === 400) {
    return new ProviderError(
      "INVALID_REQUEST",
      `Cluster ${action.cluster} refused to ${action.what}${serverSaid(status)}; check the profile's grant.`,
      { retryable: false, cause },
    );
  }
  if (code === 429) {
    const seconds = Number(found.retryAfter ?? status.details?.retryAfterSeconds);
    return new ProviderError(
      "THROTTLED",
      `Cluster ${action.cluster} is throttling jitbot; it will try again shortly.`,
      {
        retryable: true,
        retryAfterMs: Number.isFinite(seconds) && seconds >= 0 ? seconds * 1000 : DEFAULT_RETRY_AFTER_MS,
        cause,
      },
    );
  }
  if (code >= 500) {
    return new ProviderError(
      "UNAVAILABLE",
      `The API server of cluster ${action.cluster} failed (${code}) when jitbot tried to ${action.what}; it will try again.`,
      { retryable: true, cause },
    );
  }
  return new ProviderError(
    "UNKNOWN",
    `Cluster ${action.cluster} answered ${code} when jitbot tried to ${action.what}.`,
    {
      cause,
    },
  );
}
