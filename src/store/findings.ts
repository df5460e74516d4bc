import type { Kysely } from "kysely";
import type { ProviderState } from "../grants/provider.js";
import type { Engine } from "./engine.js";
import type { Database } from "./schema.js";

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

/** The request with its grant, if any, as the facts below read them. */
function facts(db: Kysely<Database>) {
  return db
    .selectFrom("requests as r")
    .leftJoin("grants as g", "g.request_id", "r.id")
    .select([
      "r.id",
      "r.profile_id",
      "r.requester_id",
      "r.requester_email",
      "r.status as request_status",
      "g.status as grant_status",
      "g.state",
      "g.started_at",
      "r.updated_at",
    ]);
}

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
  constructor(private readonly engine: Engine) {}

  /** Grants being granted or active, and approvals not yet granted (start-up reconcile grants them). */
  async live(): Promise<GrantFacts[]> {
    const rows = await facts(this.engine.db)
      .where((eb) =>
        eb.or([
          eb("g.status", "in", ["granting", "active"]),
          eb.and([eb("r.status", "=", "approved"), eb("g.request_id", "is", null)]),
        ]),
      )
      .execute();
    return rows.map(toFacts);
  }

  async request(requestId: string): Promise<GrantFacts | undefined> {
    const row = await facts(this.engine.db).where("r.id", "=", requestId).executeTakeFirst();
    return row ? toFacts(row) : undefined;
  }

  /** Grants of these profiles started since `since`, newest first. */
  async startedSince(profileIds: readonly string[], since: Date): Promise<GrantFacts[]> {
    if (profileIds.length === 0) return [];
    const rows = await facts(this.engine.db)
      .where("r.profile_id", "in", [...profileIds])
      .where("g.started_at", ">=", since.getTime())
      .orderBy("g.started_at", "desc")
      .limit(5000)
      .execute();
    return rows.map(toFacts);
  }

  /** The fingerprints of the findings already reported for a profile, by key. */
  async reported(profileId: string): Promise<Map<string, string>> {
    const rows = await this.engine.db
      .selectFrom("drift_findings")
      .select(["finding_key", "fingerprint"])
      .where("profile_id", "=", profileId)
      .execute();
    return new Map(rows.map((row) => [row.finding_key, row.fingerprint]));
  }

  /**
   * Replaces a profile's remembered findings with the current ones, in one transaction: a finding
   * that went away is forgotten, so it is reported again if it comes back.
   */
  async settle(profileId: string, current: ReadonlyMap<string, string>, at: Date): Promise<void> {
    await this.engine.write(async (tx) => {
      await tx.db.deleteFrom("drift_findings").where("profile_id", "=", profileId).execute();
      const rows = [...current].map(([key, fingerprint]) => ({
        profile_id: profileId,
        finding_key: key,
        fingerprint,
        reported_at: at.getTime(),
      }));
      if (rows.length > 0) await tx.db.insertInto("drift_findings").values(rows).execute();
    });
  }
}
