import type { GrantType } from "../config/schema.js";

/**
 * Microsoft Graph application permissions per grant type, as docs/entra.md lists them. A service
 * principal joins a group only with "GroupMember.ReadWrite.All and Application.ReadWrite.All" (the
 * Add members permission table, group-post-members.md); Application.ReadWrite.All also covers
 * creating, deleting and purging the temporary applications (Application.ReadWrite.OwnedBy alone is
 * not enough). That type looks up no user, so it needs no User.Read.All.
 */
const BY_TYPE: Record<string, readonly string[]> = {
  "entra-group": ["User.Read.All", "GroupMember.ReadWrite.All"],
  "entra-pim-group": ["User.Read.All", "PrivilegedAssignmentSchedule.ReadWrite.AzureADGroup", "GroupMember.Read.All"],
  "entra-service-principal": ["Application.ReadWrite.All", "GroupMember.ReadWrite.All"],
};

/** Broader permissions that include the narrower one (an admin may have granted those instead). */
const COVERED_BY: Record<string, readonly string[]> = {
  "User.Read.All": ["User.ReadWrite.All", "Directory.Read.All", "Directory.ReadWrite.All"],
  "GroupMember.Read.All": [
    "GroupMember.ReadWrite.All",
    "Group.Read.All",
    "Group.ReadWrite.All",
    "Directory.Read.All",
    "Directory.ReadWrite.All",
  ],
  "GroupMember.ReadWrite.All": ["Group.ReadWrite.All", "Directory.ReadWrite.All"],
  "Application.ReadWrite.OwnedBy": ["Application.ReadWrite.All"],
  "PrivilegedAssignmentSchedule.ReadWrite.AzureADGroup": ["PrivilegedAccess.ReadWrite.AzureADGroup"],
  "User.RevokeSessions.All": ["User.ReadWrite.All"],
};

export function requiredPermissions(type: GrantType, revokeSessions: boolean): string[] {
  const needed = [...(BY_TYPE[type] ?? [])];
  if (revokeSessions && type !== "entra-service-principal") needed.push("User.RevokeSessions.All");
  return needed;
}

export function missingPermissions(needed: readonly string[], granted: readonly string[]): string[] {
  return needed.filter(
    (permission) => !granted.includes(permission) && !(COVERED_BY[permission] ?? []).some((p) => granted.includes(p)),
  );
}

/**
 * The application permissions an app-only Entra token carries (its `roles` claim). Undefined when the
 * token is not a readable JWT: then only the calls themselves can tell.
 */
export function grantedRoles(accessToken: string): string[] | undefined {
  const parts = accessToken.split(".");
  if (parts.length !== 3 || !parts[1]) return undefined;
  try {
    const claims = JSON.parse(Buffer.from(parts[1], "base64url").toString("utf8")) as { roles?: unknown };
    if (!Array.isArray(claims.roles)) return [];
    return claims.roles.filter((role): role is string => typeof role === "string");
  } catch {
    return undefined;
  }
}
