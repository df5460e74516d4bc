/**
 * The list queries of the fake Graph that the orphan reaper uses, with the query rules the real
 * service enforces (graph-directory.ts holds the tenant; graph-server.ts the transport).
 */
import type { FakeApplication } from "./graph-apps.js";
import { GraphHttpError, type Reply } from "./graph-errors.js";

export interface FakePimRequest {
  id: string;
  action: string;
  groupId: string;
  principalId: string;
  accessId: string;
  justification: string;
  status: string;
  createdDateTime: string;
}

export interface FakePimInstance {
  groupId: string;
  principalId: string;
  accessId: string;
  startDateTime: string;
  endDateTime: string | null;
}

export interface ListingSource {
  applications: ReadonlyMap<string, FakeApplication>;
  pimInstances(): FakePimInstance[];
  pimRequests: readonly FakePimRequest[];
  applicationPageSize: number;
}

const PIM = "/identityGovernance/privilegedAccess/group";

/**
 * https://learn.microsoft.com/graph/api/resources/application — displayName "Supports $filter (eq,
 * ne, not, ge, le, in, startsWith, and eq on null values)"; other functions such as endsWith are
 * advanced queries that need `ConsistencyLevel: eventual` and `$count=true`
 * (https://learn.microsoft.com/graph/aad-advanced-queries), else 400 Request_UnsupportedQuery.
 */
function applicationFilter(filter: string | null): (app: FakeApplication) => boolean {
  if (filter === null) return () => true;
  const startsWith = /^startswith\(displayName,\s*'((?:[^']|'')*)'\)$/i.exec(filter);
  if (startsWith) {
    const prefix = (startsWith[1] ?? "").replaceAll("''", "'").toLowerCase();
    return (app) => app.displayName.toLowerCase().startsWith(prefix);
  }
  const equals = /^displayName eq '((?:[^']|'')*)'$/.exec(filter);
  if (equals) {
    const name = (equals[1] ?? "").replaceAll("''", "'");
    return (app) => app.displayName === name;
  }
  throw new GraphHttpError(
    400,
    "Request_UnsupportedQuery",
    "Unsupported or invalid query filter clause specified for property 'displayName' of resource 'Application'.",
  );
}

/**
 * https://learn.microsoft.com/graph/api/privilegedaccessgroup-list-assignmentscheduleinstances and
 * …-list-assignmentschedulerequests: "This method requires the $filter (eq) query parameter to scope
 * the request to a principalId or a groupId."
 */
function pimScope(filter: string | null): { field: "groupId" | "principalId"; value: string } {
  const match = /^(groupId|principalId) eq '([^']*)'$/.exec(filter ?? "");
  if (!match) {
    throw new GraphHttpError(
      400,
      "BadRequest",
      "The $filter query parameter with groupId or principalId is required for this request.",
    );
  }
  return { field: match[1] as "groupId" | "principalId", value: match[2] ?? "" };
}

export function listingRoute(
  source: ListingSource,
  method: string,
  path: string,
  query: URLSearchParams,
  base: string,
): Reply | undefined {
  if (method !== "GET") return undefined;
  if (path === "/applications") {
    const keep = applicationFilter(query.get("$filter"));
    // "The default and maximum page sizes are 100 and 999 application objects" (application-list).
    const top = Number(query.get("$top") ?? 100);
    if (!Number.isInteger(top) || top < 1 || top > 999) {
      throw new GraphHttpError(
        400,
        "Request_BadRequest",
        `Invalid page size specified: '${top}'. Must be between 1 and 999 inclusive.`,
      );
    }
    const size = Math.min(top, source.applicationPageSize);
    const skip = Number(query.get("$skiptoken") ?? 0);
    const all = [...source.applications.values()].filter(keep);
    const value = all.slice(skip, skip + size).map((app) => ({
      id: app.id,
      appId: app.appId,
      uniqueName: app.uniqueName,
      displayName: app.displayName,
      passwordCredentials: app.passwords.map((p) => ({ keyId: p.keyId, endDateTime: p.endDateTime, secretText: null })),
    }));
    const rest = new URLSearchParams(query);
    rest.set("$skiptoken", String(skip + size));
    const next = skip + size < all.length ? `${base}/v1.0/applications?${rest.toString()}` : undefined;
    return {
      status: 200,
      body: {
        "@odata.context": `${base}/v1.0/$metadata#applications`,
        value,
        ...(next ? { "@odata.nextLink": next } : {}),
      },
    };
  }
  if (path === `${PIM}/assignmentScheduleInstances`) {
    const scope = pimScope(query.get("$filter"));
    const value = source
      .pimInstances()
      .filter((i) => i[scope.field] === scope.value)
      .map((i) => ({
        id: `${i.groupId}_${i.accessId}_${i.principalId}`,
        ...i,
        assignmentType: "assigned",
        memberType: "direct",
      }));
    return { status: 200, body: { value } };
  }
  if (path === `${PIM}/assignmentScheduleRequests`) {
    const scope = pimScope(query.get("$filter"));
    return { status: 200, body: { value: source.pimRequests.filter((r) => r[scope.field] === scope.value) } };
  }
  return undefined;
}
