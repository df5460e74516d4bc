import { GraphError } from "@microsoft/microsoft-graph-client";
import { ProviderError } from "../errors.js";

/** What a Graph call was for: turns a 403 into the one permission an admin must grant. */
export interface GraphOperation {
  /** "add you to group 1234…", used in sentences: "jitbot could not <action>". */
  action: string;
  /** The least-privileged Graph application permission this call needs. */
  permission: string;
  /** What a 404 means for this call; by default, that the profile's group does not exist. */
  notFound?: string;
}

/** A non-admin principal's object quota (Microsoft Entra service limits and restrictions). */
export const DIRECTORY_OBJECT_QUOTA = 250;
/** PIM for Groups: an assignment lasts at least, and cannot be removed within, 5 minutes. */
export const PIM_FLOOR_MS = 5 * 60 * 1000;

/**
 * Graph's own refusals that have a known fix, each as one sentence: the object quota
 * (Directory_QuotaExceeded) and the group's PIM policy (RoleAssignmentRequestPolicyValidationFailed
 * names the rules that failed; ActiveDurationTooShort is the five-minute floor).
 */
function knownRefusal(error: GraphError, op: GraphOperation): ProviderError | undefined {
  if (error.code === "Directory_QuotaExceeded") {
    return new ProviderError(
      "FORBIDDEN",
      `jitbot could not ${op.action}: its Entra app has reached Entra's quota of ${DIRECTORY_OBJECT_QUOTA} directory objects per non-admin principal (deleted ones count for 30 days); permanently delete its old applications from Entra's deleted items (DELETE /directory/deletedItems/{id}), or assign its service principal a custom directory role with microsoft.directory/applications/create, which the quota does not limit (docs/entra.md).`,
      { cause: error },
    );
  }
  if (error.code === "RoleAssignmentRequestPolicyValidationFailed") {
    const rules = (error.message.match(/\[(.*)\]/)?.[1] ?? "").replaceAll('"', "").split(",").filter(Boolean);
    if (rules.includes("ExpirationRule")) {
      return new ProviderError(
        "INVALID_REQUEST",
        `the group's PIM policy does not allow this long an active assignment, so jitbot could not ${op.action}: ask for a shorter duration, or have an admin raise "Expire active assignment after" in the group's PIM settings (Member role) and lower the profile's duration.max to match.`,
        { cause: error },
      );
    }
    return new ProviderError(
      "INVALID_REQUEST",
      `the group's PIM policy refused the assignment (rules failed: ${rules.join(", ") || "unknown"}), so jitbot could not ${op.action}; an admin must relax those settings for active assignments in the group's PIM settings (Member role).`,
      { cause: error },
    );
  }
  if (error.code === "ActiveDurationTooShort") {
    return new ProviderError(
      "UNAVAILABLE",
      `PIM does not remove an assignment within five minutes of making it, so jitbot could not ${op.action} yet; it will retry in five minutes.`,
      { retryable: true, retryAfterMs: PIM_FLOOR_MS, cause: error },
    );
  }
  return undefined;
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
  const known = knownRefusal(error, op);
  if (known) return known;
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
      `jitbot could not ${op.action} because ${op.notFound ?? "Entra does not know that group; check the profile's grant.groupId"}.`,
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
