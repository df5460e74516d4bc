import type { Profile } from "../config/schema.js";
import { DomainError } from "./errors.js";

/** extension.maxTotal, or the profile's duration.max when it is not set. */
export function extensionMaxTotal(profile: Profile): number {
  return profile.extension?.maxTotal ?? profile.duration.max;
}

/**
 * How much time extensions may still add to a grant. What earlier extensions added is the grant's
 * end minus its original end (start + the duration first asked for), so no counter can drift.
 */
export function extensionRoomSeconds(
  profile: Profile,
  grant: { startedAt: Date; expiresAt: Date },
  originalSeconds: number,
): number {
  const added = (grant.expiresAt.getTime() - grant.startedAt.getTime()) / 1000 - originalSeconds;
  return Math.max(0, Math.floor(extensionMaxTotal(profile) - Math.max(0, added)));
}

/** The refusal for an extension of `wanted` seconds beyond extension.maxTotal, or undefined. */
export function checkExtensionTotal(
  profile: Profile,
  grant: { startedAt: Date; expiresAt: Date },
  originalSeconds: number,
  wanted: number,
): DomainError | undefined {
  const left = extensionRoomSeconds(profile, grant, originalSeconds);
  if (wanted <= left) return undefined;
  return new DomainError("EXTENSION_OVER_TOTAL", { maxTotal: extensionMaxTotal(profile), left });
}
