import { findProfile, mayRequest, validateRequestInput } from "../../src/domain/policy.js";
import { PEOPLE, type TestBot } from "../support/bot.js";
import { countRows } from "../support/store-rows.js";

/**
 * What must hold however the bot was attacked: every stored request is one the policy allows,
 * every decision was taken by someone allowed to take it, no grant exists without its approvals,
 * and the audit chain verifies. Returns the violations, one sentence each.
 */
export async function violations(t: TestBot): Promise<string[]> {
  const found: string[] = [];
  const db = t.store.kysely;
  const requests = await db.selectFrom("requests").selectAll().execute();
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
  const approvals = await db
    .selectFrom("approvals as a")
    .innerJoin("requests as r", "r.id", "a.request_id")
    .select(["a.request_id", "a.approver_id", "a.decision", "r.profile_id", "r.requester_id"])
    .execute();
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
  const grants = await db
    .selectFrom("grants as g")
    .innerJoin("requests as r", "r.id", "g.request_id")
    .select((eb) => [
      "g.request_id",
      "r.profile_id",
      eb
        .selectFrom("approvals as a")
        .select(({ fn }) => fn.countAll<number>().as("n"))
        .whereRef("a.request_id", "=", "g.request_id")
        .where("a.decision", "=", "approve")
        .as("approvals"),
    ])
    .execute();
  for (const g of grants) {
    const required = findProfile(t.policy, g.profile_id)?.approval.required ?? Number.POSITIVE_INFINITY;
    // PostgreSQL counts in BIGINT, which the driver hands back as a string.
    const given = Number(g.approvals);
    if (given < required) found.push(`${g.request_id}: granted with ${given} of ${required} approvals`);
  }
  const audit = await t.store.verifyAudit();
  if (!audit.ok) found.push(`audit chain broken at row ${audit.brokenAt}: ${audit.why}`);
  return found;
}

export function requestCount(t: TestBot): Promise<number> {
  return countRows(t.store, "requests");
}
