import {
  DeleteAccessEntryCommand,
  DescribeAccessEntryCommand,
  type EKSClient,
  ListAccessEntriesCommand,
} from "@aws-sdk/client-eks";
import type { OwnedObject } from "../orphans.js";
import { type AwsAction, isAwsError, toProviderError } from "./errors.js";

/** Tags on every entry jitbot creates (access-entry.ts): only such entries are ever listed as its own. */
export const MANAGED_BY = { key: "managed-by", value: "jitbot" };
export const REQUEST_TAG = "jit-request-id";

/** ListAccessEntries answers at most 100 per page; 100 pages is far past any real cluster. */
const MAX_PAGES = 100;

interface Cluster {
  eks: EKSClient;
  clusterName: string;
  region: string;
}

const listing = (c: Cluster): AwsAction => ({ kind: "list-access-entries", cluster: c.clusterName, region: c.region });

/** Tags of one entry; undefined when it was deleted between the list and the describe. */
async function tagsOf(c: Cluster, principalArn: string): Promise<Record<string, string> | undefined> {
  try {
    const answer = await c.eks.send(new DescribeAccessEntryCommand({ clusterName: c.clusterName, principalArn }));
    return answer.accessEntry?.tags ?? {};
  } catch (error) {
    if (isAwsError(error, "ResourceNotFoundException")) return undefined;
    throw toProviderError(error, listing(c));
  }
}

/**
 * The cluster's access entries tagged `managed-by=jitbot`. ListAccessEntries returns principal ARNs
 * only, so each entry's tags come from DescribeAccessEntry. Every page is read or the call throws:
 * a listing cut short must not look like an empty cluster.
 */
export async function listJitbotEntries(c: Cluster): Promise<OwnedObject[]> {
  const objects: OwnedObject[] = [];
  let nextToken: string | undefined;
  let pages = 0;
  do {
    if (++pages > MAX_PAGES)
      throw new Error(`ListAccessEntries on ${c.clusterName} did not end after ${MAX_PAGES} pages`);
    let page: { accessEntries?: string[]; nextToken?: string };
    try {
      page = await c.eks.send(new ListAccessEntriesCommand({ clusterName: c.clusterName, maxResults: 100, nextToken }));
    } catch (error) {
      throw toProviderError(error, listing(c));
    }
    for (const principalArn of page.accessEntries ?? []) {
      const tags = await tagsOf(c, principalArn);
      if (tags?.[MANAGED_BY.key] !== MANAGED_BY.value) continue;
      const requestId = tags[REQUEST_TAG];
      objects.push({
        key: `eks:${c.region}/${c.clusterName}:${principalArn}`,
        ref: principalArn,
        description: `EKS access entry of ${principalArn} on ${c.clusterName}`,
        ...(requestId ? { requestId } : {}),
        holders: [principalArn],
        fingerprint: JSON.stringify(Object.entries(tags).sort()),
        // Tagged by jitbot but naming no request: older or hand-made, so reported, never deleted.
        removable: requestId !== undefined,
      });
    }
    nextToken = page.nextToken ?? undefined;
  } while (nextToken);
  return objects;
}

/**
 * Deletes an orphaned entry if it is still the one listed: tagged by jitbot for the same request.
 * A new grant may have recreated the principal's entry since; then it is left alone.
 */
export async function deleteOrphanEntry(c: Cluster, object: OwnedObject): Promise<string | undefined> {
  const tags = await tagsOf(c, object.ref);
  if (tags?.[MANAGED_BY.key] !== MANAGED_BY.value || tags[REQUEST_TAG] !== object.requestId) return undefined;
  try {
    await c.eks.send(new DeleteAccessEntryCommand({ clusterName: c.clusterName, principalArn: object.ref }));
  } catch (error) {
    if (isAwsError(error, "ResourceNotFoundException")) return undefined;
    throw toProviderError(error, listing(c));
  }
  return `Deleted the orphaned access entry of ${object.ref} on ${c.clusterName}.`;
}
