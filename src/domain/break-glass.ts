import type { Profile } from "../config/schema.js";
import { DomainError } from "./errors.js";
import type { FieldErrors } from "./policy.js";
import type { AccessRequest } from "./request.js";

/**
 * When a grant is due to be taken away. A break-glass grant nobody has confirmed yet is due at its
 * confirmation deadline (or its own end, if that comes first); once confirmed, at its end. Every
 * write that sets a grant's due time goes through this, so no path can lose the deadline.
 */
export function dueAtFor(request: AccessRequest | undefined, expiresAt: Date): number {
  const glass = request?.breakGlass;
  if (!glass || glass.confirmedAt) return expiresAt.getTime();
  return Math.min(glass.confirmBy.getTime(), expiresAt.getTime());
}

/** A break-glass grant that reached its deadline unconfirmed, before its own end. */
export function missedConfirmation(request: AccessRequest, expiresAt: Date): boolean {
  const glass = request.breakGlass;
  return glass !== undefined && !glass.confirmedAt && glass.confirmBy.getTime() < expiresAt.getTime();
}

/** The shortest reason a break glass takes, whatever the profile's own minimum. */
export const BREAK_GLASS_MIN_REASON = 10;

/**
 * What refuses a break glass on `profile`, field by field: a profile without it, an extension (an
 * extension asks its approvers), a time past breakGlass.max, or a reason too short to judge later.
 */
export function breakGlassRefusals(
  profile: Profile,
  input: { durationSeconds: number | undefined; justification: string },
  extending: boolean,
): FieldErrors {
  if (!profile.breakGlass || extending) {
    return { profile: new DomainError("BREAK_GLASS_NOT_ALLOWED", { profile: profile.id }) };
  }
  const errors: FieldErrors = {};
  const max = profile.breakGlass.max;
  if (input.durationSeconds !== undefined && input.durationSeconds > max) {
    errors.duration = new DomainError("BREAK_GLASS_OVER_MAX", { max });
  }
  const minLength = Math.max(profile.justification.minLength, BREAK_GLASS_MIN_REASON);
  if (input.justification.trim().length < minLength) {
    errors.justification = new DomainError("JUSTIFICATION_TOO_SHORT", { minLength });
  }
  return errors;
}
