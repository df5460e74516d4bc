import { GraphError } from "@microsoft/microsoft-graph-client";
import { ProviderError } from "../errors.js";

/** What a Graph call was for: turns a 403 into the one permission an admin must grant. */
export interface GraphOperation {
  /** "add you to group 1234…", used in sentences: "jitbot could not <action>". */
  action: string;
  /** The least-privileged Graph application permission this call needs. */
  permission: string;
}

/** Graph's answer when an added reference is already there (member already in group). */
export function isAlreadyExists(error: unknown): boolean {
  if (!(error instanceof GraphError)) return false;
  if (error.statusCode !== 400 && error.statusCode !== 409) return false;
  return /already exist/i.test(error.message) || error.code === "RoleAssignmentExists";
}

/**
 * Graph's answers when what we remove is already gone: 404 Request_ResourceNotFound, or the 400
 * "removed object references do not exist" some tenants give, or PIM's RoleAssignmentDoesNotExist.
 */
export function isDoesNotExist(error: unknown): boolean {
  if (!(error instanceof GraphError)) return false;
  if (error.statusCode === 404) return true;
  if (error.statusCode !== 400) return false;
  return /do(es)? not exist/i.test(error.message) || error.code === "RoleAssignmentDoesNotExist";
}

export function isNotFound(error: unknown): boolean {
  return error instanceof GraphError && error.statusCode === 404;
}

function retryAfterMs(error: GraphError): number | undefined {
  const header = error.headers?.get("Retry-After");
  if (!header) return undefined;
  const seconds = Number(header);
  if (!Number.isNaN(seconds)) return Math.max(0, seconds * 1000);
  const at = Date.parse(header);
  return Number.isNaN(at) ? undefined : Math.max(0, at - Date.now());
}

/**
 * One sentence per failure, naming the fix. Never the raw body: Graph messages can echo request
 * content, and the sentence goes to Slack.
 */
export function toProviderError(error: unknown, op: GraphOperation): ProviderError {
  if (error instanceof ProviderError) return error;
  if (!(error instanceof GraphError) || error.statusCode <= 0) {
    return new ProviderError(
      "UNAVAILABLE",
      `jitbot could not reach Microsoft Graph to ${op.action}; check its Azure credential (AZURE_CLIENT_ID, workload identity or managed identity) and GRAPH_BASE_URL.`,
      { retryable: true, cause: error },
    );
  }
  const status = error.statusCode;
  if (status === 429) {
    return new ProviderError(
      "THROTTLED",
      `Microsoft Graph is throttling jitbot, so it could not ${op.action} yet; it will retry.`,
      {
        retryable: true,
        retryAfterMs: retryAfterMs(error),
        cause: error,
      },
    );
  }
  if (status >= 500) {
    return new ProviderError(
      "UNAVAILABLE",
      `Microsoft Graph is unavailable, so jitbot could not ${op.action} yet; it will retry.`,
      {
        retryable: true,
        retryAfterMs: retryAfterMs(error),
        cause: error,
      },
    );
  }
  if (status === 401) {
    return new ProviderError(
      "FORBIDDEN",
      `Microsoft Graph did not accept jitbot's token while trying to ${op.action}; check AZURE_TENANT_ID, AZURE_CLIENT_ID and the credential it uses.`,
      { cause: error },
    );
  }
  if (status === 403) {
    return new ProviderError(
      "FORBIDDEN",
      `jitbot's Entra app may not ${op.action}: grant it the Microsoft Graph application permission ${op.permission} with admin consent.`,
      { cause: error },
    );
  }
  if (status === 404) {
    return new ProviderError(
      "NOT_FOUND",
      `jitbot could not ${op.action} because Entra does not know that object; check the profile's grant.groupId.`,
      {
        cause: error,
      },
    );
  }
  if (status === 400) {
    return new ProviderError(
      "INVALID_REQUEST",
      `Microsoft Graph refused to ${op.action} (${error.code ?? "bad request"}); check the profile's grant settings.`,
      {
        cause: error,
      },
    );
  }
  return new ProviderError("UNKNOWN", `jitbot could not ${op.action} (Microsoft Graph answered ${status}).`, {
    cause: error,
  });
}

/** Runs one Graph call and turns any failure into a ProviderError for `op`. */
export async function graphCall<T>(op: GraphOperation, call: () => Promise<T>): Promise<T> {
  try {
    return await call();
  } catch (error) {
    throw toProviderError(error, op);
  }
}

/** Like graphCall, but the listed "already so" answers count as success (idempotent verbs). */
export async function graphCallTolerating<T>(
  op: GraphOperation,
  alreadyDone: (error: unknown) => boolean,
  call: () => Promise<T>,
): Promise<T | undefined> {
  try {
    return await call();
  } catch (error) {
    if (alreadyDone(error)) return undefined;
    throw toProviderError(error, op);
  }
}
