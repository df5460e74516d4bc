/**
 * ListAccessEntries for the fake AWS (aws-server.ts), as the EKS API reference documents it:
 * https://docs.aws.amazon.com/eks/latest/APIReference/API_ListAccessEntries.html
 * `GET /clusters/{name}/access-entries?maxResults=&nextToken=&associatedPolicyArn=`, answering
 * `{ accessEntries: [principalArn…], nextToken }` — ARNs only; tags come from DescribeAccessEntry
 * (https://docs.aws.amazon.com/eks/latest/APIReference/API_DescribeAccessEntry.html, `accessEntry.tags`).
 */
import type { FakeAccessEntry } from "./aws-server.js";

export interface RestReply {
  status: number;
  body: unknown;
  errorCode?: string;
}

/** Page size the fake answers with when the caller asks for more (to exercise nextToken). */
export const DEFAULT_PAGE = 100;

function invalid(message: string): RestReply {
  return { status: 400, errorCode: "InvalidParameterException", body: { message } };
}

export function listAccessEntries(
  entries: Iterable<FakeAccessEntry>,
  clusterName: string,
  query: URLSearchParams,
  pageSize: number,
): RestReply {
  const raw = query.get("maxResults");
  const maxResults = raw === null ? DEFAULT_PAGE : Number(raw);
  // "Valid Range: Minimum value of 1. Maximum value of 100." (maxResults, API_ListAccessEntries)
  if (!Number.isInteger(maxResults) || maxResults < 1 || maxResults > 100) {
    return invalid("maxResults must be between 1 and 100.");
  }
  const token = query.get("nextToken");
  // "This token should be treated as an opaque identifier": a token the service did not issue is refused.
  const start =
    token === null
      ? 0
      : Number(
          Buffer.from(token, "base64url")
            .toString("utf8")
            .replace(/^page:/, ""),
        );
  if (!Number.isInteger(start) || start < 0) return invalid("The nextToken is not valid.");
  const policy = query.get("associatedPolicyArn");
  // "When you specify an access policy ARN, only the access entries associated to that access policy are returned."
  const all = [...entries]
    .filter((e) => e.clusterName === clusterName && (policy === null || e.policies.has(policy)))
    .map((e) => e.principalArn)
    .sort();
  const size = Math.min(maxResults, pageSize);
  const page = all.slice(start, start + size);
  const next = start + size < all.length ? Buffer.from(`page:${start + size}`).toString("base64url") : undefined;
  return { status: 200, body: { accessEntries: page, ...(next ? { nextToken: next } : {}) } };
}
