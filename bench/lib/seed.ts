import { randomUUID } from "node:crypto";
import type { ProviderState } from "../../src/grants/provider.js";
import type { Store } from "../../src/store/index.js";
import { PROFILE, requesterId } from "./people.js";

export interface SeedOptions {
  count: number;
  /** When grant i ends (ms since epoch). */
  expiresAt: (i: number) => number;
  state?: (i: number) => ProviderState;
  requesters?: number;
  profileId?: string;
}

/**
 * Active grants made through the store's own guarded transitions (request → approved → granting →
 * active, each audited), all in one outer transaction so 10,000 take a second, not a minute.
 */
export function seedActiveGrants(store: Store, options: SeedOptions): string[] {
  const ids: string[] = [];
  const requesters = options.requesters ?? 50;
  const profileId = options.profileId ?? PROFILE;
  store.db.transaction(() => {
    for (let i = 0; i < options.count; i++) {
      const expiresAt = new Date(options.expiresAt(i));
      const at = new Date(Math.min(Date.now(), expiresAt.getTime()) - 3_600_000);
      const id = `JR-B${String(i).padStart(6, "0")}-${randomUUID().slice(0, 4)}`;
      const requester = requesterId(i % requesters);
      store.requests.insert({
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
      store.requests.transition({ id, from: "pending", event: "approve", at, actor: "U0LEAD" });
      store.grants.start({ requestId: id, provider: "entra-group", at, expiresAt });
      store.grants.activate({ requestId: id, state: options.state?.(i) ?? { bench: true }, at, expiresAt });
      ids.push(id);
    }
  })();
  return ids;
}

export function activeCount(store: Store): number {
  return (store.db.prepare("SELECT COUNT(*) AS n FROM grants WHERE status = 'active'").get() as { n: number }).n;
}

export function endedCount(store: Store, ids: readonly string[]): number {
  const set = new Set(ids);
  const rows = store.db.prepare("SELECT request_id FROM grants WHERE status = 'ended'").all() as {
    request_id: string;
  }[];
  return rows.filter((r) => set.has(r.request_id)).length;
}
