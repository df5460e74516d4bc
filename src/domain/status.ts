import { DomainError } from "./errors.js";

export const RequestStatus = {
  Pending: "pending",
  Approved: "approved",
  Active: "active",
  Expired: "expired",
  Revoked: "revoked",
  Denied: "denied",
  Cancelled: "cancelled",
  TimedOut: "timed_out",
  Failed: "failed",
} as const;
export type RequestStatus = (typeof RequestStatus)[keyof typeof RequestStatus];

export type RequestEvent = "approve" | "deny" | "cancel" | "time_out" | "activate" | "fail" | "expire" | "revoke";

const TRANSITIONS: Record<RequestStatus, Partial<Record<RequestEvent, RequestStatus>>> = {
  pending: { approve: "approved", deny: "denied", cancel: "cancelled", time_out: "timed_out" },
  // cancel: withdrawn after approval but before its grant started (the store checks there is none).
  approved: { activate: "active", fail: "failed", cancel: "cancelled" },
  active: { expire: "expired", revoke: "revoked" },
  expired: {},
  revoked: {},
  denied: {},
  cancelled: {},
  timed_out: {},
  failed: {},
};

/** The one place request states move. Returns the next state or the reason it cannot move. */
export function transition(from: RequestStatus, event: RequestEvent): RequestStatus | DomainError {
  const next = TRANSITIONS[from][event];
  if (next) return next;
  if (from !== "pending" && (event === "approve" || event === "deny")) {
    return new DomainError("ALREADY_DECIDED", { status: from });
  }
  return new DomainError("INVALID_TRANSITION", { from, event });
}

export const isPending = (status: RequestStatus): boolean => status === "pending";
export const isCancellable = (status: RequestStatus): boolean => status === "pending";
export const isRevocable = (status: RequestStatus): boolean => status === "active";
export const isFinal = (status: RequestStatus): boolean => Object.keys(TRANSITIONS[status]).length === 0;
