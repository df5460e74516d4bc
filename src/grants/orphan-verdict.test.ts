import { describe, expect, it } from "vitest";
import { type Evidence, judge, type KnownRequest, type LatestGrant, latestGrantIndex } from "./orphan-verdict.js";
import type { OwnedObject } from "./orphans.js";

const NOW = new Date("2026-03-02T12:00:00Z");
const HOUR = 3600_000;
const TARGET = "entra-group:g1";

function evidence(
  over: Partial<Evidence> & { latestGrants?: LatestGrant[] } = {},
  requests: KnownRequest[] = [],
): Evidence {
  const { latestGrants = [], ...rest } = over;
  return {
    liveHolders: new Set(),
    inFlightRequesters: new Set(),
    standing: new Set(),
    request: (id) => requests.find((r) => r.requestId === id),
    latestGrantOf: latestGrantIndex(latestGrants),
    now: NOW,
    rollbackWindowMs: 24 * HOUR,
    ...rest,
  };
}

const tagged: OwnedObject = {
  key: "eks:x",
  ref: "arn:aws:iam::1:role/people/alice",
  description: "entry",
  requestId: "JR-AAAAAA",
  holders: ["arn:aws:iam::1:role/people/alice"],
  fingerprint: "f",
  removable: true,
};
const member: OwnedObject = {
  key: "member:u1",
  ref: "u1",
  description: "Alice",
  holders: ["u1", "Alice@Contoso.com"],
  fingerprint: "Alice",
  removable: true,
};
const known = (over: Partial<KnownRequest> = {}): KnownRequest => ({
  requestId: "JR-AAAAAA",
  requesterId: "U0ALICE",
  target: TARGET,
  live: false,
  ...over,
});
const failedAt = (ms: number) => ({
  requestId: "JR-AAAAAA",
  holders: ["alice@contoso.com"],
  failed: true,
  at: new Date(NOW.getTime() - ms),
});

describe("judge: what an object found in the cloud is", () => {
  const cases: [string, OwnedObject, Evidence, string][] = [
    ["an object naming a request with no live grant is an orphan", tagged, evidence({}, [known()]), "orphan"],
    ["its request's grant is live", tagged, evidence({}, [known({ live: true })]), "live"],
    [
      "its requester has a grant in flight on the target",
      tagged,
      evidence({ inFlightRequesters: new Set(["U0ALICE"]) }, [known()]),
      "live",
    ],
    [
      "a live grant holds the same principal",
      tagged,
      evidence({ liveHolders: new Set([tagged.ref]) }, [known()]),
      "live",
    ],
    ["the request is unknown to this database", tagged, evidence(), "unexplained"],
    ["the request was for another target", tagged, evidence({}, [known({ target: "eks:other" })]), "unexplained"],
    ["the object is not removable", { ...tagged, removable: false }, evidence({}, [known()]), "unexplained"],
    [
      "a member whose latest grant was rolled back an hour ago",
      member,
      evidence({ latestGrants: [failedAt(HOUR)] }),
      "orphan",
    ],
    [
      "a member rolled back two days ago (someone may have added them since)",
      member,
      evidence({ latestGrants: [failedAt(48 * HOUR)] }),
      "unexplained",
    ],
    [
      "a member whose latest grant ended normally",
      member,
      evidence({ latestGrants: [{ ...failedAt(HOUR), failed: false }] }),
      "unexplained",
    ],
    ["a member with no jitbot history", member, evidence(), "unexplained"],
    [
      "a member rolled back, then granted and ended normally since",
      member,
      evidence({ latestGrants: [failedAt(2 * HOUR), { ...failedAt(HOUR), requestId: "JR-BBBBBB", failed: false }] }),
      "unexplained",
    ],
    [
      "a declared standing member",
      member,
      evidence({ standing: new Set(["alice@contoso.com"]), latestGrants: [failedAt(HOUR)] }),
      "standing",
    ],
    [
      "a member a live grant explains",
      member,
      evidence({ liveHolders: new Set(["u1"]), latestGrants: [failedAt(HOUR)] }),
      "live",
    ],
  ];
  it.each(cases)("%s", (_sentence, object, facts, kind) => {
    expect(judge(object, TARGET, facts).kind).toBe(kind);
  });
});
