import type { Generated } from "kysely";

/**
 * The tables as both engines hold them. Times are integer milliseconds since the epoch (INTEGER in
 * SQLite, BIGINT in PostgreSQL, read back as numbers by the pool's int8 parser); JSON is text, so a
 * row reads the same whichever engine wrote it (the audit hash covers these exact values).
 */
export interface Database {
  requests: RequestTable;
  approvals: ApprovalTable;
  grants: GrantTable;
  audit_events: AuditTable;
  store_probe: { id: number; at: number };
  view_submissions: { view_id: string; view_hash: string; user_id: string; at: number };
  drift_findings: { profile_id: string; finding_key: string; fingerprint: string; reported_at: number };
  slack_deliveries: { id: string; at: number };
  replicas: { id: string; seen_at: number; offset_ms: number };
  job_runs: { name: string; period: string; owner: string; at: number };
  home_visitors: { user_id: string; opened_at: number };
  audit_pending: AuditPendingTable;
  step_ups: StepUpTable;
}

/** An audit event committed with its change and not yet linked into the chain (PostgreSQL). */
export interface AuditPendingTable {
  id: Generated<number>;
  at: number;
  actor: string;
  action: string;
  request_id: string | null;
  detail: string;
}

export interface StepUpTable {
  state: string;
  request_id: string;
  approver_id: string;
  clicked_channel: string | null;
  clicked_ts: string | null;
  created_at: number;
  expires_at: number;
  used_at: number | null;
}

export interface RequestTable {
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
  extends_request_id: string | null;
  approval_reminded_at: number | null;
  receipt_channel: string | null;
  receipt_ts: string | null;
  break_glass_confirm_by: number | null;
  break_glass_confirmed_by: string | null;
  break_glass_confirmed_at: number | null;
}

export interface ApprovalTable {
  request_id: string;
  approver_id: string;
  decision: "approve" | "deny";
  at: number;
}

export interface GrantTable {
  request_id: string;
  provider: string;
  status: string;
  state: Generated<string>;
  started_at: number;
  granted_at: number | null;
  expires_at: number;
  provider_expires_at: number | null;
  due_at: number;
  end_reason: string | null;
  ended_at: number | null;
  revoke_attempts: Generated<number>;
  last_error: string | null;
  last_alert_at: number | null;
  reminder_sent_at: number | null;
  dm_channel: string | null;
  dm_ts: string | null;
  dm_has_secret: Generated<number>;
  revoke_requested_at: number | null;
  revoke_requested_by: string | null;
  lease_owner: string | null;
  lease_until: number | null;
  /** When the person was told the access ended (schema 12); null while that is still owed. */
  ended_told_at: number | null;
}

export interface AuditTable {
  seq: number;
  at: number;
  actor: string;
  action: string;
  request_id: string | null;
  detail: string;
  prev_hash: string;
  hash: string;
  scheme: Generated<string>;
}
