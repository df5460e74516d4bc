/**
 * Every refusal the bot can give is a code; `userMessage` turns it into the one sentence a person
 * sees. Details (a profile id, a limit) are data, never a stack trace or a secret.
 */
export type DomainErrorCode =
  | "PROFILE_NOT_FOUND"
  | "NOT_A_REQUESTER"
  | "DURATION_INVALID"
  | "DURATION_OVER_CAP"
  | "DURATION_TOO_SHORT"
  | "JUSTIFICATION_TOO_SHORT"
  | "TICKET_REQUIRED"
  | "TICKET_INVALID"
  | "REQUEST_NOT_FOUND"
  | "NOT_YOUR_REQUEST"
  | "NOT_AN_APPROVER"
  | "SELF_APPROVAL"
  | "ALREADY_DECIDED_BY_YOU"
  | "ALREADY_DECIDED"
  | "INVALID_TRANSITION"
  | "NO_EMAIL"
  | "IDENTITY_NOT_FOUND"
  | "PROVIDER_FAILED"
  | "EXTENSION_NOT_ALLOWED"
  | "EXTENSION_OVER_TOTAL"
  | "SHUTTING_DOWN"
  | "TEXT_TOO_LONG"
  | "DENY_REASON_MISSING"
  | "REQUEST_ID_INVALID"
  | "FORM_DAMAGED"
  | "BUTTON_DAMAGED"
  | "STEP_UP_REQUIRED"
  | "STEP_UP_UNAVAILABLE"
  // Break glass (src/service/break-glass.ts)
  | "BREAK_GLASS_NOT_ALLOWED"
  | "BREAK_GLASS_OVER_MAX"
  | "BREAK_GLASS_REASON_TOO_LONG"
  | "NOT_BREAK_GLASS"
  | "BREAK_GLASS_OWN"
  | "BREAK_GLASS_CONFIRMED"
  | "BREAK_GLASS_OVER"
  | "BREAK_GLASS_TOO_LATE";

export class DomainError extends Error {
  constructor(
    readonly code: DomainErrorCode,
    readonly detail: Record<string, string | number> = {},
  ) {
    super(`${code} ${JSON.stringify(detail)}`);
    this.name = "DomainError";
  }
}

export function isDomainError(value: unknown): value is DomainError {
  return value instanceof DomainError;
}
