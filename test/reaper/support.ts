import type { TestBot } from "../support/bot.js";

/** Messages the bot posted to the approval channel since `since` (an index into it). */
export function channelPosts(t: TestBot, since: number) {
  return t.slack.messagesIn("C0APPROVALS").slice(since);
}

export function channelCount(t: TestBot): number {
  return t.slack.messagesIn("C0APPROVALS").length;
}

/** Audit rows of one action, with their parsed detail. */
export async function auditOf(
  t: TestBot,
  action: string,
): Promise<{ requestId: string | null; detail: Record<string, unknown> }[]> {
  // What other writes committed and are still linking into the chain (PostgreSQL) counts too.
  await t.store.linkAudits();
  const rows = await t.store.kysely
    .selectFrom("audit_events")
    .select(["request_id", "detail"])
    .where("action", "=", action)
    .orderBy("seq")
    .execute();
  return rows.map((row) => ({ requestId: row.request_id, detail: JSON.parse(row.detail) as Record<string, unknown> }));
}
