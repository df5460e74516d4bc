import type { RequestStatus } from "./status.js";

export interface AccessRequest {
  id: string;
  profileId: string;
  requesterId: string;
  requesterName: string;
  requesterEmail: string | undefined;
  durationSeconds: number;
  justification: string;
  ticket: string | undefined;
  status: RequestStatus;
  createdAt: Date;
  updatedAt: Date;
  decidedAt: Date | undefined;
  decisionNote: string | undefined;
  approvalChannel: string | undefined;
  approvalTs: string | undefined;
  receiptChannel: string | undefined;
  receiptTs: string | undefined;
  extendsRequestId: string | undefined;
  /** Present when the requester broke glass: granted without approval, to be confirmed by `confirmBy`. */
  breakGlass?: BreakGlassState;
}

export interface BreakGlassState {
  confirmBy: Date;
  confirmedBy: string | undefined;
  confirmedAt: Date | undefined;
}

export interface Approval {
  requestId: string;
  approverId: string;
  decision: "approve" | "deny";
  at: Date;
}

export type GrantStatus = "granting" | "active" | "ended" | "failed";

export interface GrantRecord {
  requestId: string;
  provider: string;
  status: GrantStatus;
  state: Record<string, string | number | boolean | null>;
  startedAt: Date;
  grantedAt: Date | undefined;
  expiresAt: Date;
  providerExpiresAt: Date | undefined;
  dueAt: Date;
  /** `not_confirmed`: a break-glass grant no approver confirmed in time (request status `revoked`). */
  endReason: "expired" | "revoked" | "not_confirmed" | undefined;
  endedAt: Date | undefined;
  revokeAttempts: number;
  lastError: string | undefined;
  lastAlertAt: Date | undefined;
  reminderSentAt: Date | undefined;
  dmChannel: string | undefined;
  dmTs: string | undefined;
  dmHasSecret: boolean;
  /** Someone asked to end it while it was still being granted: it is revoked as soon as it completes. */
  revokeRequestedAt: Date | undefined;
  revokeRequestedBy: string | undefined;
}

/**
 * What asking to end a request early did: its active grant is being revoked now; its grant is in
 * flight and will be revoked the moment it completes; or its grant had not started, so the
 * request was cancelled and nothing will be granted.
 */
export type EarlyEnd = "revoking" | "revoke_after_grant" | "cancelled";
