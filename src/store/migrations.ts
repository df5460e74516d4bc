/**
 * The schema of both engines. SQLite: `user_version` counts the entries of SQLITE_MIGRATIONS
 * (index + 1 is the version). PostgreSQL: one consolidated script reaches version 6 (what SQLite's
 * first six reach), then one script per version; `jitbot_schema.version` holds the number. Either
 * way SCHEMA_VERSION is the one number both reach. Never edit a migration that has shipped.
 */
/** Versioned migrations: index + 1 is the schema version. Never edit one that has shipped. */
export const SQLITE_MIGRATIONS: string[] = [
  `CREATE TABLE requests (
     id TEXT PRIMARY KEY,
     profile_id TEXT NOT NULL,
     requester_id TEXT NOT NULL,
     requester_name TEXT NOT NULL,
     requester_email TEXT,
     duration_seconds INTEGER NOT NULL,
     justification TEXT NOT NULL,
     ticket TEXT,
     status TEXT NOT NULL,
     created_at INTEGER NOT NULL,
     updated_at INTEGER NOT NULL,
     decided_at INTEGER,
     decision_note TEXT,
     approval_channel TEXT,
     approval_ts TEXT,
     extends_request_id TEXT,
     approval_reminded_at INTEGER
   );
   CREATE INDEX requests_by_status ON requests(status, created_at);
   CREATE INDEX requests_by_requester ON requests(requester_id, status);
   CREATE TABLE approvals (
     request_id TEXT NOT NULL REFERENCES requests(id),
     approver_id TEXT NOT NULL,
     decision TEXT NOT NULL CHECK (decision IN ('approve', 'deny')),
     at INTEGER NOT NULL,
     PRIMARY KEY (request_id, approver_id)
   );
   CREATE TABLE grants (
     request_id TEXT PRIMARY KEY REFERENCES requests(id),
     provider TEXT NOT NULL,
     status TEXT NOT NULL CHECK (status IN ('granting', 'active', 'ended', 'failed')),
     state TEXT NOT NULL DEFAULT '{}',
     started_at INTEGER NOT NULL,
     granted_at INTEGER,
     expires_at INTEGER NOT NULL,
     provider_expires_at INTEGER,
     due_at INTEGER NOT NULL,
     end_reason TEXT,
     ended_at INTEGER,
     revoke_attempts INTEGER NOT NULL DEFAULT 0,
     last_error TEXT,
     last_alert_at INTEGER,
     reminder_sent_at INTEGER,
     dm_channel TEXT,
     dm_ts TEXT,
     dm_has_secret INTEGER NOT NULL DEFAULT 0
   );
   CREATE INDEX grants_due ON grants(due_at) WHERE status = 'active';
   CREATE INDEX grants_in_flight ON grants(status) WHERE status = 'granting';
   CREATE TABLE audit_events (
     seq INTEGER PRIMARY KEY AUTOINCREMENT,
     at INTEGER NOT NULL,
     actor TEXT NOT NULL,
     action TEXT NOT NULL,
     request_id TEXT,
     detail TEXT NOT NULL,
     prev_hash TEXT NOT NULL,
     hash TEXT NOT NULL
   );
   CREATE TRIGGER audit_events_no_update BEFORE UPDATE ON audit_events
     BEGIN SELECT RAISE(ABORT, 'audit_events is append-only'); END;
   CREATE TRIGGER audit_events_no_delete BEFORE DELETE ON audit_events
     BEGIN SELECT RAISE(ABORT, 'audit_events is append-only'); END;`,
  // 2: the requester's receipt DM, so its Withdraw button can be taken away once decided.
  `ALTER TABLE requests ADD COLUMN receipt_channel TEXT;
   ALTER TABLE requests ADD COLUMN receipt_ts TEXT;`,
  // 3: which hash each audit row uses (rows before it are all plain sha256), and the row the
  // store's health probe rewrites to prove the file still takes writes.
  `ALTER TABLE audit_events ADD COLUMN scheme TEXT NOT NULL DEFAULT 'sha256';
   CREATE TABLE store_probe (id INTEGER PRIMARY KEY CHECK (id = 1), at INTEGER NOT NULL);
   INSERT INTO store_probe (id, at) VALUES (1, 0);`,
  // 4: a revoke asked for while the grant was in flight, honoured the moment the grant completes.
  `ALTER TABLE grants ADD COLUMN revoke_requested_at INTEGER;
   ALTER TABLE grants ADD COLUMN revoke_requested_by TEXT;`,
  // 5: each request modal files once: a replayed view_submission (same view id and hash) is ignored.
  `CREATE TABLE IF NOT EXISTS view_submissions (
     view_id TEXT NOT NULL,
     view_hash TEXT NOT NULL,
     user_id TEXT NOT NULL,
     at INTEGER NOT NULL,
     PRIMARY KEY (view_id, view_hash)
   );
   CREATE INDEX IF NOT EXISTS view_submissions_by_age ON view_submissions(at);`,
  // 6: drift findings already reported, so each is posted once until it changes (src/store/findings.ts).
  `CREATE TABLE IF NOT EXISTS drift_findings (
     profile_id TEXT NOT NULL,
     finding_key TEXT NOT NULL,
     fingerprint TEXT NOT NULL,
     reported_at INTEGER NOT NULL,
     PRIMARY KEY (profile_id, finding_key)
   );`,
  // 7: several replicas (on PostgreSQL; kept identical here so the version is one number): a lease
  // on a due grant's revoke, Slack deliveries already handled, and each replica's last heartbeat.
  // The due index gains request_id, the tie-break of a page of due grants in both engines.
  `ALTER TABLE grants ADD COLUMN lease_owner TEXT;
   ALTER TABLE grants ADD COLUMN lease_until INTEGER;
   DROP INDEX grants_due;
   CREATE INDEX grants_due ON grants(due_at, request_id) WHERE status = 'active';
   CREATE INDEX requests_by_extends ON requests(extends_request_id) WHERE extends_request_id IS NOT NULL;
   CREATE TABLE slack_deliveries (id TEXT PRIMARY KEY, at INTEGER NOT NULL);
   CREATE INDEX slack_deliveries_by_age ON slack_deliveries(at);
   CREATE TABLE replicas (id TEXT PRIMARY KEY, seen_at INTEGER NOT NULL, offset_ms INTEGER NOT NULL);`,
  // 8: state no replica may keep to itself: which periodic job ran for which period (so the daily
  // anchor, the drift report and the reaper run once across replicas), and who opened App Home.
  `CREATE TABLE job_runs (
     name TEXT NOT NULL,
     period TEXT NOT NULL,
     owner TEXT NOT NULL,
     at INTEGER NOT NULL,
     PRIMARY KEY (name, period)
   );
   CREATE INDEX job_runs_by_age ON job_runs(at);
   CREATE TABLE home_visitors (user_id TEXT PRIMARY KEY, opened_at INTEGER NOT NULL);
   CREATE INDEX home_visitors_by_age ON home_visitors(opened_at);`,
  // 9: audit events waiting to be linked into the chain. PostgreSQL writers queue them here inside
  // the transaction of their change, without a lock, and a chainer links them in batches (see
  // src/store/audit-chainer.ts); SQLite has one writer and appends to the chain directly, so its
  // table stays empty and exists only to keep one version number.
  `CREATE TABLE audit_pending (
     id INTEGER PRIMARY KEY AUTOINCREMENT,
     at INTEGER NOT NULL,
     actor TEXT NOT NULL,
     action TEXT NOT NULL,
     request_id TEXT,
     detail TEXT NOT NULL
   );`,
  // 10 (approver step-up): an approval waiting for its approver's Entra sign-in, shared by every
  // replica so any of them can finish a sign-in another started. No secret is kept: the PKCE
  // verifier and the nonce are derived from the state (src/stepup/derive.ts).
  `CREATE TABLE step_ups (
     state TEXT PRIMARY KEY,
     request_id TEXT NOT NULL REFERENCES requests(id),
     approver_id TEXT NOT NULL,
     clicked_channel TEXT,
     clicked_ts TEXT,
     created_at INTEGER NOT NULL,
     expires_at INTEGER NOT NULL,
     used_at INTEGER
   );
   CREATE INDEX step_ups_by_age ON step_ups(created_at);`,
  // 11 (break glass): a request granted without approval carries the moment an approver must have
  // confirmed it by, and who confirmed it when; the weekly summary finds them by creation time.
  `ALTER TABLE requests ADD COLUMN break_glass_confirm_by INTEGER;
   ALTER TABLE requests ADD COLUMN break_glass_confirmed_by TEXT;
   ALTER TABLE requests ADD COLUMN break_glass_confirmed_at INTEGER;
   CREATE INDEX requests_break_glass ON requests(created_at) WHERE break_glass_confirm_by IS NOT NULL;`,
  // 12: when the person was told their access ended (the DM, sent only once the credential DM was
  // redacted). A replica that stops between the end and the telling leaves it empty, and a heartbeat
  // tells them late; the partial index holds only the untold ones, by end. Grants ended before this
  // version were told (or lost) by the old code: marked told, so nobody is told twice on upgrade.
  `ALTER TABLE grants ADD COLUMN ended_told_at INTEGER;
   UPDATE grants SET ended_told_at = ended_at WHERE ended_at IS NOT NULL;
   CREATE INDEX grants_end_untold ON grants(ended_at) WHERE status = 'ended' AND ended_told_at IS NULL;`,
];

export const SCHEMA_VERSION = SQLITE_MIGRATIONS.length;

/** A version the running code does not know: an older jitbot must not write a newer schema. */
export function newerSchema(found: number): string {
  return `database schema version ${found} is newer than this jitbot (${SCHEMA_VERSION}); upgrade jitbot`;
}

const POSTGRES_1_TO_6 = `
CREATE TABLE requests (
  id TEXT PRIMARY KEY,
  profile_id TEXT NOT NULL,
  requester_id TEXT NOT NULL,
  requester_name TEXT NOT NULL,
  requester_email TEXT,
  duration_seconds INTEGER NOT NULL,
  justification TEXT NOT NULL,
  ticket TEXT,
  status TEXT NOT NULL,
  created_at BIGINT NOT NULL,
  updated_at BIGINT NOT NULL,
  decided_at BIGINT,
  decision_note TEXT,
  approval_channel TEXT,
  approval_ts TEXT,
  extends_request_id TEXT,
  approval_reminded_at BIGINT,
  receipt_channel TEXT,
  receipt_ts TEXT
);
CREATE INDEX requests_by_status ON requests(status, created_at);
CREATE INDEX requests_by_requester ON requests(requester_id, status);
CREATE TABLE approvals (
  request_id TEXT NOT NULL REFERENCES requests(id),
  approver_id TEXT NOT NULL,
  decision TEXT NOT NULL CHECK (decision IN ('approve', 'deny')),
  at BIGINT NOT NULL,
  PRIMARY KEY (request_id, approver_id)
);
CREATE TABLE grants (
  request_id TEXT PRIMARY KEY REFERENCES requests(id),
  provider TEXT NOT NULL,
  status TEXT NOT NULL CHECK (status IN ('granting', 'active', 'ended', 'failed')),
  state TEXT NOT NULL DEFAULT '{}',
  started_at BIGINT NOT NULL,
  granted_at BIGINT,
  expires_at BIGINT NOT NULL,
  provider_expires_at BIGINT,
  due_at BIGINT NOT NULL,
  end_reason TEXT,
  ended_at BIGINT,
  revoke_attempts INTEGER NOT NULL DEFAULT 0,
  last_error TEXT,
  last_alert_at BIGINT,
  reminder_sent_at BIGINT,
  dm_channel TEXT,
  dm_ts TEXT,
  dm_has_secret INTEGER NOT NULL DEFAULT 0,
  revoke_requested_at BIGINT,
  revoke_requested_by TEXT
);
CREATE INDEX grants_due ON grants(due_at) WHERE status = 'active';
CREATE INDEX grants_in_flight ON grants(status) WHERE status = 'granting';
CREATE TABLE audit_events (
  seq BIGINT PRIMARY KEY,
  at BIGINT NOT NULL,
  actor TEXT NOT NULL,
  action TEXT NOT NULL,
  request_id TEXT,
  detail TEXT NOT NULL,
  prev_hash TEXT NOT NULL,
  hash TEXT NOT NULL,
  scheme TEXT NOT NULL DEFAULT 'sha256'
);
CREATE FUNCTION audit_events_append_only() RETURNS trigger LANGUAGE plpgsql AS
  $$ BEGIN RAISE EXCEPTION 'audit_events is append-only'; END $$;
CREATE TRIGGER audit_events_no_update BEFORE UPDATE ON audit_events
  FOR EACH ROW EXECUTE FUNCTION audit_events_append_only();
CREATE TRIGGER audit_events_no_delete BEFORE DELETE ON audit_events
  FOR EACH ROW EXECUTE FUNCTION audit_events_append_only();
CREATE TRIGGER audit_events_no_truncate BEFORE TRUNCATE ON audit_events
  FOR EACH STATEMENT EXECUTE FUNCTION audit_events_append_only();
CREATE TABLE store_probe (id INTEGER PRIMARY KEY CHECK (id = 1), at BIGINT NOT NULL);
INSERT INTO store_probe (id, at) VALUES (1, 0);
CREATE TABLE view_submissions (
  view_id TEXT NOT NULL,
  view_hash TEXT NOT NULL,
  user_id TEXT NOT NULL,
  at BIGINT NOT NULL,
  PRIMARY KEY (view_id, view_hash)
);
CREATE INDEX view_submissions_by_age ON view_submissions(at);
CREATE TABLE drift_findings (
  profile_id TEXT NOT NULL,
  finding_key TEXT NOT NULL,
  fingerprint TEXT NOT NULL,
  reported_at BIGINT NOT NULL,
  PRIMARY KEY (profile_id, finding_key)
);`;

const POSTGRES_7 = `
ALTER TABLE grants ADD COLUMN lease_owner TEXT;
ALTER TABLE grants ADD COLUMN lease_until BIGINT;
DROP INDEX grants_due;
CREATE INDEX grants_due ON grants(due_at, request_id) WHERE status = 'active';
CREATE INDEX requests_by_extends ON requests(extends_request_id) WHERE extends_request_id IS NOT NULL;
CREATE TABLE slack_deliveries (id TEXT PRIMARY KEY, at BIGINT NOT NULL);
CREATE INDEX slack_deliveries_by_age ON slack_deliveries(at);
CREATE TABLE replicas (id TEXT PRIMARY KEY, seen_at BIGINT NOT NULL, offset_ms BIGINT NOT NULL);`;

const POSTGRES_8 = `
CREATE TABLE job_runs (
  name TEXT NOT NULL,
  period TEXT NOT NULL,
  owner TEXT NOT NULL,
  at BIGINT NOT NULL,
  PRIMARY KEY (name, period)
);
CREATE INDEX job_runs_by_age ON job_runs(at);
CREATE TABLE home_visitors (user_id TEXT PRIMARY KEY, opened_at BIGINT NOT NULL);
CREATE INDEX home_visitors_by_age ON home_visitors(opened_at);`;

const POSTGRES_9 = `
CREATE TABLE audit_pending (
  id BIGSERIAL PRIMARY KEY,
  at BIGINT NOT NULL,
  actor TEXT NOT NULL,
  action TEXT NOT NULL,
  request_id TEXT,
  detail TEXT NOT NULL
);`;
// Approver step-up: as SQLite's 10.
const POSTGRES_10_STEP_UPS = `
CREATE TABLE step_ups (
  state TEXT PRIMARY KEY,
  request_id TEXT NOT NULL REFERENCES requests(id),
  approver_id TEXT NOT NULL,
  clicked_channel TEXT,
  clicked_ts TEXT,
  created_at BIGINT NOT NULL,
  expires_at BIGINT NOT NULL,
  used_at BIGINT
);
CREATE INDEX step_ups_by_age ON step_ups(created_at);`;
const POSTGRES_11_BREAK_GLASS = `
ALTER TABLE requests ADD COLUMN break_glass_confirm_by BIGINT;
ALTER TABLE requests ADD COLUMN break_glass_confirmed_by TEXT;
ALTER TABLE requests ADD COLUMN break_glass_confirmed_at BIGINT;
CREATE INDEX requests_break_glass ON requests(created_at) WHERE break_glass_confirm_by IS NOT NULL;`;
// The end notice's delivery: as SQLite's 12.
const POSTGRES_12_ENDED_TOLD = `
ALTER TABLE grants ADD COLUMN ended_told_at BIGINT;
UPDATE grants SET ended_told_at = ended_at WHERE ended_at IS NOT NULL;
CREATE INDEX grants_end_untold ON grants(ended_at) WHERE status = 'ended' AND ended_told_at IS NULL;`;

/** Each script takes a PostgreSQL schema from the version before it to `reaches`. */
export const POSTGRES_MIGRATIONS: { reaches: number; ddl: string }[] = [
  { reaches: 6, ddl: POSTGRES_1_TO_6 },
  { reaches: 7, ddl: POSTGRES_7 },
  { reaches: 8, ddl: POSTGRES_8 },
  { reaches: 9, ddl: POSTGRES_9 },
  { reaches: 10, ddl: POSTGRES_10_STEP_UPS },
  { reaches: 11, ddl: POSTGRES_11_BREAK_GLASS },
  { reaches: 12, ddl: POSTGRES_12_ENDED_TOLD },
];
