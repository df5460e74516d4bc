import type { OwnedObject } from "./orphans.js";

/** What the store says about one request, as far as an object naming it is concerned. */
export interface KnownRequest {
  requestId: string;
  requesterId: string;
  /** The target (see targetOf) of the request's profile; undefined when the profile left the policy. */
  target: string | undefined;
  /** True while the grant is `granting` or `active`, or the request is approved and not yet granted. */
  live: boolean;
}

/** A person's latest grant on a target, for objects that carry no request id (group members). */
export interface LatestGrant {
  requestId: string;
  /** Lower-cased keys of the person: Slack email and the Entra email it maps to. */
  holders: string[];
  failed: boolean;
  at: Date;
}

/** Everything the verdict reads, taken from the store at one instant. */
export interface Evidence {
  /** Holder keys (lower-cased) that a live grant on the target explains. */
  liveHolders: ReadonlySet<string>;
  /** Slack users with a grant in flight (granting, or approved and waiting) on the target. */
  inFlightRequesters: ReadonlySet<string>;
  /** Declared standing members of the profile (lower-cased). */
  standing: ReadonlySet<string>;
  request(requestId: string): KnownRequest | undefined;
  /** The newest grant on the target of the person holding any of these (lower-cased) keys. */
  latestGrantOf(holders: readonly string[]): LatestGrant | undefined;
  now: Date;
  /** How long after a rolled-back grant a membership of that person is still provably jitbot's. */
  rollbackWindowMs: number;
}

export type Verdict =
  | { kind: "live" }
  | { kind: "standing" }
  | { kind: "orphan"; requestId: string; why: string }
  | { kind: "unexplained"; why: string };

const lower = (values: readonly string[]) => values.map((v) => v.toLowerCase());

/**
 * Decides what an object found in the cloud is. Only an object jitbot can prove it made (its own
 * request id on it, known to this database, or a membership of a person whose grant jitbot rolled
 * back moments ago) can be an orphan; an object any live grant or grant in flight could explain is
 * live; everything else is reported, never removed.
 */
export function judge(object: OwnedObject, target: string, evidence: Evidence): Verdict {
  const holders = lower(object.holders);
  if (holders.some((h) => evidence.standing.has(h))) return { kind: "standing" };
  if (holders.some((h) => evidence.liveHolders.has(h))) return { kind: "live" };
  if (object.requestId !== undefined) {
    const request = evidence.request(object.requestId);
    if (!request) {
      return {
        kind: "unexplained",
        why: `it names ${object.requestId}, which this jitbot's database does not know (another jitbot, or a restored database)`,
      };
    }
    if (request.live || evidence.inFlightRequesters.has(request.requesterId)) return { kind: "live" };
    if (request.target !== target) {
      return { kind: "unexplained", why: `it names ${object.requestId}, a request for another profile` };
    }
    if (!object.removable) return { kind: "unexplained", why: `no live grant explains it (${object.requestId})` };
    return { kind: "orphan", requestId: object.requestId, why: `${object.requestId} has no live grant` };
  }
  const latest = evidence.latestGrantOf(holders);
  const recent = latest && evidence.now.getTime() - latest.at.getTime() <= evidence.rollbackWindowMs;
  if (latest?.failed && recent && object.removable) {
    return {
      kind: "orphan",
      requestId: latest.requestId,
      why: `jitbot rolled back ${latest.requestId} for this person and no grant is live`,
    };
  }
  return { kind: "unexplained", why: "no active jitbot grant explains it" };
}

/** Indexes grants by person, newest kept: a lookup per member, not a scan (thousands of members). */
export function latestGrantIndex(
  grants: readonly LatestGrant[],
): (holders: readonly string[]) => LatestGrant | undefined {
  const byHolder = new Map<string, LatestGrant>();
  for (const grant of grants) {
    for (const holder of grant.holders) {
      const known = byHolder.get(holder);
      if (!known || known.at < grant.at) byHolder.set(holder, grant);
    }
  }
  return (holders) => {
    let newest: LatestGrant | undefined;
    for (const holder of holders) {
      const grant = byHolder.get(holder);
      if (grant && (!newest || newest.at < grant.at)) newest = grant;
    }
    return newest;
  };
}
