import { DomainError } from "./errors.js";

/**
 * How much text a person may type into each field. The modal's `max_length` says the same, but that
 * is only a convenience of Slack's client: a forged or replayed payload carries whatever it likes,
 * and everything here ends up in the database, the audit log and messages to approvers.
 */
export const TEXT_LIMITS = {
  justification: 2000,
  ticket: 100,
  denyReason: 500,
  /** A whole `/jit …` line: a justification at its cap plus the profile id and duration around it. */
  command: 2200,
} as const;

export type LimitedText = keyof typeof TEXT_LIMITS;

export const DENY_REASON_MIN_LENGTH = 3;

/** TEXT_TOO_LONG when `text` is over the cap for `field`. */
export function checkLength(field: LimitedText, text: string): DomainError | undefined {
  const max = TEXT_LIMITS[field];
  return text.length > max ? new DomainError("TEXT_TOO_LONG", { field, max, length: text.length }) : undefined;
}

/** A deny reason reaches the requester: it must say something, and not too much. */
export function checkDenyReason(reason: string): DomainError | undefined {
  if (reason.trim().length < DENY_REASON_MIN_LENGTH) return new DomainError("DENY_REASON_MISSING");
  return checkLength("denyReason", reason.trim());
}
