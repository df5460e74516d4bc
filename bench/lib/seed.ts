import { randomUUID } from "node:crypto";
import type { Insertable } from "kysely";
import type { ProviderState } from "../../src/grants/provider.js";
import type { Store } from "../../src/store/index.js";
import type { GrantTable, RequestTable } from "../../src/store/schema.js";
import { PROFILE, requesterId } from "./people.js";

export interface SeedOptions {
  count: number;
  /** When grant i ends (ms since epoch). */
  expiresAt: (i: number) => number;
  state?: (i: number) => ProviderState;
  requesters?: number;
  profileId?: string;
  /** Request ids chosen by the scenario (a provider that already granted under them). */
  id?: (i: number) => string;
  /** The grant type recorded on the grant (default entra-group). */
  provider?: string;
}

/**
 * Active grants made through the store's own guarded transitions (request → approved → granting →
 * active, each audited), one awaited write after another as the bot makes them: no outer
 * transaction, since the store's boundary is asynchronous and engine-neutral.
 */
export async function seedActiveGrants(store: Store, options: SeedOptions): Promise<string[]> {
  const ids: string[] = [];
  const requesters = options.requesters ?? 50;
  const profileId = options.profileId ?? PROFILE;
  for (let i = 0; i < options.count; i++) {
    const expiresAt = new Date(options.expiresAt(i));
    const at = new Date(Math.min(Date.now(), expiresAt.getTime()) - 3_600_000);
    const id = options.id?.(i) ?? `JR-B${String(i).padStart(6, "0")}-${randomUUID().slice(0, 4)}`;
    const requester = requesterId(i % requesters);
    await store.requests.insert({
      id,
      profileId,
      requesterId: requester,
      requesterName: requester,
      requesterEmail: `${requester.toLowerCase()}@contoso.com`,
      durationSeconds: 3600,
      justification: "benchmark seeded grant",
      ticket: undefined,
      extendsRequestId: undefined,
      createdAt: at,
    });
    await store.requests.transition({ id, from: "pending", event: "approve", at, actor: "U0LEAD" });
    await store.grants.start({ requestId: id, provider: options.provider ?? "entra-group", at, expiresAt });
    await store.grants.activate({ requestId: id, state: options.state?.(i) ?? { bench: true }, at, expiresAt });
    ids.push(id);
  }
  return ids;
}

export async function activeCount(store: Store): Promise<number> {
  return (await store.gauges()).activeGrants;
}

/** How many of `ids` ended, on either engine. */
export async function endedCount(store: Store, ids: readonly string[]): Promise<number> {
  const set = new Set(ids);
  const rows = await store.kysely.selectFrom("grants").select("request_id").where("status", "=", "ended").execute();
  return rows.filter((r) => set.has(r.request_id)).length;
}

/**
 * Active grants written straight into the tables, 500 rows per INSERT: 10,000 grants through the
 * guarded transitions (four audited transactions each) take ~2.5 minutes on PostgreSQL, where the
 * audit chain's advisory lock serialises commits. These rows bypass the audit chain and its
 * notifications, so the bots must start after them (their start-up reads arm the timer).
 */
export async function bulkSeedActiveGrants(store: Store, options: SeedOptions): Promise<string[]> {
  const requesters = options.requesters ?? 50;
  const profileId = options.profileId ?? PROFILE;
  const ids: string[] = [];
  const tag = randomUUID().slice(0, 4);
  for (let from = 0; from < options.count; from += 500) {
    const requests: Insertable<RequestTable>[] = [];
    const grants: Insertable<GrantTable>[] = [];
    for (let i = from; i < Math.min(options.count, from + 500); i++) {
      const expiresAt = options.expiresAt(i);
      const at = Math.min(Date.now(), expiresAt) - 3_600_000;
      const id = `JR-M${String(i).padStart(6, "0")}-${tag}`;
      const requester = requesterId(i % requesters);
      requests.push({
        id,
        profile_id: profileId,
        requester_id: requester,
        requester_name: requester,
        requester_email: `${requester.toLowerCase()}@contoso.com`,
        duration_seconds: 3600,
        justification: "benchmark seeded grant",
        status: "active",
        created_at: at,
        updated_at: at,
        decided_at: at,
      });
      grants.push({
        request_id: id,
        provider: "entra-group",
        status: "active",
        state: JSON.stringify(options.state?.(i) ?? { bench: true }),
        started_at: at,
        granted_at: at,
        expires_at: expiresAt,
        due_at: expiresAt,
      });
      ids.push(id);
    }
    await store.kysely.transaction().execute(async (tx) => {
      await tx.insertInto("requests").values(requests).execute();
      await tx.insertInto("grants").values(grants).execute();
    });
  }
  return ids;
}
