/**
 * The ends the cloud enforces by itself, for the fake tenant: a PIM for Groups assignment's
 * expiration and an application password's endDateTime. Both are evaluated at the fake's own clock
 * (`GraphDirectory.now`), which a test ties to the bot's injected clock, so the fake takes access
 * away at the end the provider set, whatever jitbot believes.
 *
 * Sources:
 * - PIMGROUPS = https://learn.microsoft.com/en-us/graph/api/resources/privilegedidentitymanagement-for-groups-api-overview
 *   ("Govern membership and ownership of groups using PIM for Groups").
 * - REQUEST = https://learn.microsoft.com/en-us/graph/api/privilegedaccessgroup-post-assignmentschedulerequests
 *   and https://learn.microsoft.com/en-us/graph/api/resources/expirationpattern (afterDuration,
 *   afterDateTime, noExpiration).
 * - CLIENTCREDS = https://learn.microsoft.com/en-us/entra/identity-platform/v2-oauth2-client-creds-grant-flow
 *   ("First case: Access token request with a shared secret", "Error response").
 * - AADSTS = https://learn.microsoft.com/en-us/entra/identity-platform/reference-error-codes.
 * - PASSWORD = https://learn.microsoft.com/en-us/graph/api/resources/passwordcredential (endDateTime).
 */
import type { FakeApplication, FakePimAssignment } from "./graph-directory.js";
import { GraphHttpError } from "./graph-directory.js";

/** ISO 8601 durations as PIM's `afterDuration` takes them (PT2H, PT1H30M, PT900S; REQUEST). */
export function isoDurationSeconds(duration: string): number {
  const m = /^PT(?:(\d+)H)?(?:(\d+)M)?(?:(\d+)S)?$/.exec(duration);
  return m ? Number(m[1] ?? 0) * 3600 + Number(m[2] ?? 0) * 60 + Number(m[3] ?? 0) : 0;
}

/**
 * When an assignment ends (ms): `afterDateTime`'s endDateTime (also what adminExtend sets), else
 * start + `afterDuration`; undefined for `noExpiration` (requestSchedule / expirationPattern, v1.0).
 */
export function pimAssignmentEnd(assignment: FakePimAssignment): number | undefined {
  if (assignment.endDateTime) return Date.parse(assignment.endDateTime);
  const seconds = isoDurationSeconds(assignment.duration);
  return seconds ? Date.parse(assignment.startDateTime) + seconds * 1000 : undefined;
}

/**
 * "When a principal's temporary active membership or ownership of a group expires: the
 * principal's details are automatically removed from the members and owners relationships"
 * (PIMGROUPS).
 */
export function endExpiredPimAssignments(
  assignments: Map<string, FakePimAssignment>,
  groups: Map<string, Set<string>>,
  now: number,
): void {
  for (const [key, assignment] of assignments) {
    const end = pimAssignmentEnd(assignment);
    if (end === undefined || end > now) continue;
    assignments.delete(key);
    if (assignment.accessId === "member") groups.get(assignment.groupId)?.delete(assignment.principalId);
  }
}

/**
 * `adminExtend`: "for administrators to extend expiring assignments" (REQUEST). Only an assignment that still exists can be
 * extended; one PIM has ended answers like adminRemove does, 400 RoleAssignmentDoesNotExist.
 */
export function extendPimAssignment(
  assignment: FakePimAssignment | undefined,
  scheduleInfo: { expiration?: { type?: string; endDateTime?: string; duration?: string } },
): void {
  if (!assignment) throw new GraphHttpError(400, "RoleAssignmentDoesNotExist", "The Role assignment does not exist.");
  const expiration = scheduleInfo.expiration ?? {};
  const end =
    expiration.type === "afterDateTime" && expiration.endDateTime
      ? Date.parse(expiration.endDateTime)
      : expiration.type === "afterDuration" && expiration.duration
        ? Date.parse(assignment.startDateTime) + isoDurationSeconds(expiration.duration) * 1000
        : Number.NaN;
  if (Number.isNaN(end)) {
    throw new GraphHttpError(400, "InvalidScheduleInfo", "The schedule info of the request is invalid.");
  }
  assignment.endDateTime = new Date(end).toISOString();
}

/**
 * An OAuth error as the Microsoft identity platform answers it on /oauth2/v2.0/token: {error,
 * error_description, error_codes, timestamp, trace_id, correlation_id} (CLIENTCREDS "Error
 * response"; AADSTS "Handling error codes in your application").
 */
export interface TokenRefusal {
  status: number;
  error: string;
  code: number;
  description: string;
}

/**
 * Client credentials with a client secret (CLIENTCREDS): the secret must be one of the
 * application's passwordCredentials, and one whose endDateTime (PASSWORD: "The date and time at
 * which the password expires") has passed is refused with AADSTS7000222 ("InvalidClientSecretExpiredKeysProvided
 * - The provided client secret keys are expired", AADSTS). A wrong secret is AADSTS7000215
 * ("Invalid client secret provided"), an unknown client AADSTS700016 ("UnauthorizedClient_DoesNotMatchRequest
 * - The application wasn't found in the directory/tenant"); `invalid_client` is "Client
 * authentication failed", `unauthorized_client` "The authenticated client isn't authorized"
 * (AADSTS, the `error` table).
 */
export function clientSecretRefusal(
  app: FakeApplication | undefined,
  clientId: string,
  secret: string,
  now: number,
): TokenRefusal | undefined {
  if (!app) {
    return {
      status: 400,
      error: "unauthorized_client",
      code: 700016,
      description: `AADSTS700016: Application with identifier '${clientId}' was not found in the directory.`,
    };
  }
  const password = app.passwords.find((p) => p.secretText === secret);
  if (!password) {
    return {
      status: 401,
      error: "invalid_client",
      code: 7000215,
      description:
        "AADSTS7000215: Invalid client secret provided. Ensure the secret being sent in the request is the client secret value, not the client secret ID.",
    };
  }
  if (password.endDateTime && Date.parse(password.endDateTime) <= now) {
    return {
      status: 401,
      error: "invalid_client",
      code: 7000222,
      description: `AADSTS7000222: The provided client secret keys for app '${app.appId}' are expired. Visit the Azure portal to create new keys for your app.`,
    };
  }
  return undefined;
}
