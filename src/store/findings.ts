import type { ProviderState } from "../grants/provider.js";
import type { Db } from "./db.js";

/** One request and its grant, as the orphan reaper and the drift report need them. */
export interface GrantFacts {
  requestId: string;
  profileId: string;
  requesterId: string;
  requesterEmail: string | undefined;
  requestStatus: string;
  /** undefined: approved, not yet handed to a provider. */
  grantStatus: string | undefined;
  state: ProviderState;
  startedAt: Date | undefined;
  /** When the request last changed state (a failed grant: when it was rolled back). */
  updatedAt: Date;
}

interface FactsRow {
  id: string;
  profile_id: string;
  requester_id: string;
  requester_email: string | null;
  request_status: string;
  grant_status: string | null;
  state: string | null;
  started_at: number | null;
  updated_at: number;
}

const FACTS = `SELECT r.id, r.profile_id, r.requester_id, r.requester_email, r.status AS request_status,
  g.status AS grant_status, g.state, g.started_at, r.updated_at`;

function toFacts(row: FactsRow): GrantFacts {
  return {
    requestId: row.id,
    profileId: row.profile_id,
    requesterId: row.requester_id,
    requesterEmail: row.requester_email ?? undefined,
    requestStatus: row.request_status,
    grantStatus: row.grant_status ?? undefined,
    state: row.state ? (JSON.parse(row.state) as ProviderState) : {},
    startedAt: row.started_at === null ? undefined : new Date(row.started_at),
    updatedAt: new Date(row.updated_at),
  };
}

/** What the reaper reads to tell live access from orphans, and what the drift report remembers. */
export class FindingsRepo {
  constructor(private readonly db: Db) {}

  /** Grants being granted or active, and approvals not yet granted (start-up reconcile grants them). */
  live(): GrantFacts[] {
    const granted = this.db
      .prepare(`${FACTS} FROM grants g JOIN requests r ON r.id = g.request_id WHERE g.status IN ('granting', 'active')`)
      .all() as FactsRow[];
    const waiting = this.db
      .prepare(
        `${FACTS} FROM requests r LEFT JOIN grants g ON g.request_id = r.id
         WHERE r.status = 'approved' AND g.request_id IS NULL`,
      )
      .all() as FactsRow[];
    return [...granted, ...waiting].map(toFacts);
  }

  request(requestId: string): GrantFacts | undefined {
    const row = this.db
      .prepare(`${FACTS} FROM requests r LEFT JOIN grants g ON g.request_id = r.id WHERE r.id = ?`)
      .get(requestId) as FactsRow | undefined;
    return row ? toFacts(row) : undefined;
  }

  /** Grants of these profiles started since `since`, newest first. */
  startedSince(profileIds: readonly string[], since: Date): GrantFacts[] {
    if (profileIds.length === 0) return [];
    const marks = profileIds.map(() => "?").join(", ");
    const rows = this.db
      .prepare(
        `${FACTS} FROM grants g JOIN requests r ON r.id = g.request_id
         WHERE r.profile_id IN (${marks}) AND g.started_at >= ? ORDER BY g.started_at DESC LIMIT 5000`,
      )
      .all(...profileIds, since.getTime()) as FactsRow[];
    return rows.map(toFacts);
  }

  /** The fingerprints of the findings already reported for a profile, by key. */
  reported(profileId: string): Map<string, string> {
    const rows = this.db
      .prepare("SELECT finding_key, fingerprint FROM drift_findings WHERE profile_id = ?")
      .all(profileId) as { finding_key: string; fingerprint: string }[];
    return new Map(rows.map((row) => [row.finding_key, row.fingerprint]));
  }

  /**
   * Replaces a profile's remembered findings with the current ones, in one transaction: a finding
   * that went away is forgotten, so it is reported again if it comes back.
   */
  settle(profileId: string, current: ReadonlyMap<string, string>, at: Date): void {
    this.db.transaction(() => {
      this.db.prepare("DELETE FROM drift_findings WHERE profile_id = ?").run(profileId);
      const insert = this.db.prepare(
        "INSERT INTO drift_findings (profile_id, finding_key, fingerprint, reported_at) VALUES (?, ?, ?, ?)",
      );
      for (const [key, fingerprint] of current) insert.run(profileId, key, fingerprint, at.getTime());
    })();
  }
}
