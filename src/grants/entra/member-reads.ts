import type { Client } from "@microsoft/microsoft-graph-client";
import type { DirectoryObject } from "@microsoft/microsoft-graph-types";
import type { Clock } from "../../domain/clock.js";
import { BUSY_REVOKES_PER_SECOND, type CoalescedRead, EAGER, PATIENT, ReadCoalescer } from "./coalesce.js";
import { graphCall } from "./errors.js";
import type { ThrottleWatch } from "./throttle-watch.js";

const READ_MEMBERS = "GroupMember.Read.All";
/**
 * Graph known issues, "Query parameters": with the `in` operator a request "is limited to 15
 * expressions in the filter clause by default OR a URL length of 2,048 characters when using
 * advanced query capabilities" — and a `$filter` on `members` is always an advanced query.
 */
export const GRAPH_ADVANCED_QUERY_URL_LIMIT = 2048;
/** The filtered list is never longer than the ids asked for; more pages than this means something is wrong. */
const MAX_PAGES = 10;

interface Page {
  value?: DirectoryObject[];
  "@odata.nextLink"?: string;
}

/**
 * Which of `memberIds` are direct members of the group, in one call: `$filter=id in (…)` on
 * `members`. group-list-members.md makes any `$filter` there an advanced query (ConsistencyLevel:
 * eventual and `$count=true`, else 400 Request_UnsupportedQuery), and aad-advanced-queries.md
 * allows `in` wherever `eq` is allowed. Direct membership only, as jitbot adds and removes only
 * that; checkMemberGroups/checkMemberObjects are transitive and ask one member about many groups.
 */
export function memberQuery(groupId: string, memberIds: readonly string[]): string {
  const values = memberIds.map((id) => `'${id.replaceAll("'", "''")}'`).join(",");
  return `/groups/${groupId}/members?$count=true&$select=id&$top=999&$filter=id in (${values})`;
}

/** The URL as it leaves the process (percent-encoded by the HTTP client), which is what Graph measures. */
export function memberQueryFits(graphBaseUrl: string, groupId: string, memberIds: readonly string[]): boolean {
  const href = new URL(`${graphBaseUrl}/v1.0${memberQuery(groupId, memberIds)}`).href;
  return href.length <= GRAPH_ADVANCED_QUERY_URL_LIMIT;
}

export async function readDirectMembers(
  client: Client,
  groupId: string,
  memberIds: readonly string[],
): Promise<ReadonlySet<string>> {
  const op = { action: `read the members of group ${groupId}`, permission: READ_MEMBERS };
  const found = new Set<string>();
  let next: string | undefined = memberQuery(groupId, memberIds);
  for (let pages = 0; next; pages++) {
    if (pages >= MAX_PAGES) throw new Error(`${op.action}: more than ${MAX_PAGES} pages`);
    const url: string = next;
    const page = await graphCall(
      op,
      () => client.api(url).header("ConsistencyLevel", "eventual").get() as Promise<Page>,
    );
    for (const m of page.value ?? []) if (m.id) found.add(m.id);
    next = page["@odata.nextLink"];
  }
  return new Set(memberIds.filter((id) => found.has(id)));
}

/**
 * Read-backs of entra-group revokes: the revokes of one group that end together are read back
 * together, one Graph call for as many members as its URL holds (about 44 object ids), so a mass
 * expiry spends its Graph budget on removals rather than on proving them one by one. While the group
 * is busy (BUSY_REVOKES_PER_SECOND) or Graph throttles this client, a batch waits PATIENT_WINDOW_MS
 * for others to join, or until it is full.
 */
export function membershipReads(
  client: Client,
  clock: Clock,
  graphBaseUrl: string,
  throttle?: ThrottleWatch,
): ReadCoalescer<string> {
  const calls: CoalescedRead<string> = {
    fits: (groupId, ids) => ids.length === 1 || memberQueryFits(graphBaseUrl, groupId, ids),
    read: (groupId, ids) => readDirectMembers(client, groupId, ids),
  };
  return new ReadCoalescer(calls, clock, (startsLastSecond) =>
    startsLastSecond >= BUSY_REVOKES_PER_SECOND || throttle?.throttled() ? PATIENT : EAGER,
  );
}
