import { findProfile, mayRequest, validateRequestInput } from "../../src/domain/policy.js";
import { verifyAudit } from "../../src/store/audit.js";
import { PEOPLE, type TestBot } from "../support/bot.js";

interface RequestRow {
  id: string;
  profile_id: string;
  requester_id: string;
  requester_email: string | null;
  duration_seconds: number;
  justification: string;
  ticket: string | null;
  status: string;
}

/**
 * What must hold however the bot was attacked: every stored request is one the policy allows,
 * every decision was taken by someone allowed to take it, no grant exists without its approvals,
 * and the audit chain verifies. Returns the violations, one sentence each.
 */
export function violations(t: TestBot): string[] {
  const found: string[] = [];
  const db = t.store.db;
  const requests = db.prepare("SELECT * FROM requests").all() as RequestRow[];
  for (const row of requests) {
    const profile = findProfile(t.policy, row.profile_id);
    if (!profile) {
      found.push(`${row.id}: unknown profile ${row.profile_id}`);
      continue;
    }
    const person = PEOPLE.find((p) => p.id === row.requester_id);
    if (!person) found.push(`${row.id}: filed by ${JSON.stringify(row.requester_id)}, nobody in the workspace`);
    else if (!mayRequest(profile, { id: person.id, groups: person.groups ?? [] }))
      found.push(`${row.id}: ${person.id} may not request ${profile.id}`);
    if (!row.requester_email) found.push(`${row.id}: no requester email`);
    const errors = validateRequestInput(profile, {
      durationSeconds: row.duration_seconds,
      justification: row.justification,
      ticket: row.ticket ?? "",
    });
    for (const [field, error] of Object.entries(errors))
      found.push(`${row.id}: ${field} breaks policy (${error?.code})`);
  }
  const approvals = db
    .prepare(
      "SELECT a.request_id, a.approver_id, a.decision, r.profile_id, r.requester_id FROM approvals a JOIN requests r ON r.id = a.request_id",
    )
    .all() as { request_id: string; approver_id: string; profile_id: string; requester_id: string }[];
  for (const a of approvals) {
    const profile = findProfile(t.policy, a.profile_id);
    const approver = PEOPLE.find((p) => p.id === a.approver_id);
    const listed =
      profile &&
      approver &&
      (profile.approval.approvers.users.includes(approver.id) ||
        profile.approval.approvers.slackUserGroups.some((g) => approver.groups?.includes(g)));
    if (!listed) found.push(`${a.request_id}: decided by ${a.approver_id}, who is no approver`);
    if (a.approver_id === a.requester_id && !profile?.approval.selfApproval)
      found.push(`${a.request_id}: approved by its own requester`);
  }
  const grants = db
    .prepare(
      `SELECT g.request_id, r.profile_id, r.extends_request_id,
              (SELECT count(*) FROM approvals a WHERE a.request_id = g.request_id AND a.decision = 'approve') AS approvals
         FROM grants g JOIN requests r ON r.id = g.request_id`,
    )
    .all() as { request_id: string; profile_id: string; extends_request_id: string | null; approvals: number }[];
  for (const g of grants) {
    const required = findProfile(t.policy, g.profile_id)?.approval.required ?? Number.POSITIVE_INFINITY;
    if (g.approvals < required) found.push(`${g.request_id}: granted with ${g.approvals} of ${required} approvals`);
  }
  const audit = verifyAudit(db);
  if (!audit.ok) found.push(`audit chain broken at row ${audit.brokenAt}: ${audit.why}`);
  return found;
}

export function requestCount(t: TestBot): number {
  return (t.store.db.prepare("SELECT count(*) AS n FROM requests").get() as { n: number }).n;
}
