import type { AccessRequest, GrantRecord } from "../domain/request.js";
import type { RequestStatus } from "../domain/status.js";

export interface RequestRow {
  id: string;
  profile_id: string;
  requester_id: string;
  requester_name: string;
  requester_email: string | null;
  duration_seconds: number;
  justification: string;
  ticket: string | null;
  status: string;
  created_at: number;
  updated_at: number;
  decided_at: number | null;
  decision_note: string | null;
  approval_channel: string | null;
  approval_ts: string | null;
  receipt_channel: string | null;
  receipt_ts: string | null;
  extends_request_id: string | null;
  break_glass_confirm_by?: number | null;
  break_glass_confirmed_by?: string | null;
  break_glass_confirmed_at?: number | null;
}

export interface GrantRow {
  request_id: string;
  provider: string;
  status: string;
  state: string;
  started_at: number;
  granted_at: number | null;
  expires_at: number;
  provider_expires_at: number | null;
  due_at: number;
  end_reason: string | null;
  ended_at: number | null;
  revoke_attempts: number;
  last_error: string | null;
  last_alert_at: number | null;
  reminder_sent_at: number | null;
  dm_channel: string | null;
  dm_ts: string | null;
  dm_has_secret: number;
  revoke_requested_at: number | null;
  revoke_requested_by: string | null;
}

const date = (ms: number | null): Date | undefined => (ms === null ? undefined : new Date(ms));
const text = (value: string | null): string | undefined => value ?? undefined;

export function toRequest(row: RequestRow): AccessRequest {
  return {
    id: row.id,
    profileId: row.profile_id,
    requesterId: row.requester_id,
    requesterName: row.requester_name,
    requesterEmail: text(row.requester_email),
    durationSeconds: row.duration_seconds,
    justification: row.justification,
    ticket: text(row.ticket),
    status: row.status as RequestStatus,
    createdAt: new Date(row.created_at),
    updatedAt: new Date(row.updated_at),
    decidedAt: date(row.decided_at),
    decisionNote: text(row.decision_note),
    approvalChannel: text(row.approval_channel),
    approvalTs: text(row.approval_ts),
    receiptChannel: text(row.receipt_channel),
    receiptTs: text(row.receipt_ts),
    extendsRequestId: text(row.extends_request_id),
    ...breakGlassOf(row),
  };
}

function breakGlassOf(row: RequestRow): Pick<AccessRequest, "breakGlass"> {
  if (row.break_glass_confirm_by === null || row.break_glass_confirm_by === undefined) return {};
  return {
    breakGlass: {
      confirmBy: new Date(row.break_glass_confirm_by),
      confirmedBy: text(row.break_glass_confirmed_by ?? null),
      confirmedAt: date(row.break_glass_confirmed_at ?? null),
    },
  };
}

export function toGrant(row: GrantRow): GrantRecord {
  return {
    requestId: row.request_id,
    provider: row.provider,
    status: row.status as GrantRecord["status"],
    state: JSON.parse(row.state) as GrantRecord["state"],
    startedAt: new Date(row.started_at),
    grantedAt: date(row.granted_at),
    expiresAt: new Date(row.expires_at),
    providerExpiresAt: date(row.provider_expires_at),
    dueAt: new Date(row.due_at),
    endReason: (row.end_reason ?? undefined) as GrantRecord["endReason"],
    endedAt: date(row.ended_at),
    revokeAttempts: row.revoke_attempts,
    lastError: text(row.last_error),
    lastAlertAt: date(row.last_alert_at),
    reminderSentAt: date(row.reminder_sent_at),
    dmChannel: text(row.dm_channel),
    dmTs: text(row.dm_ts),
    dmHasSecret: row.dm_has_secret === 1,
    revokeRequestedAt: date(row.revoke_requested_at),
    revokeRequestedBy: text(row.revoke_requested_by),
  };
}
