import type { Profile } from "../config/schema.js";
import { isDomainError } from "../domain/errors.js";
import { approvalsSatisfy, countsFor, type Person } from "../domain/policy.js";
import type { AccessRequest } from "../domain/request.js";
import type { Store } from "../store/index.js";

/**
 * A bundle's approvals: each approver counts for every profile of the bundle they may decide on,
 * and the request is approved once every profile has its own `required` count. What each approver
 * counts for is worked out before the store's transaction (it asks Slack for user groups), for the
 * approvers known by then; one who approved at the same instant is settled by `settleBundle`.
 */
export async function bundleRule(
  store: Store,
  person: (userId: string) => Promise<Person>,
  request: AccessRequest,
  profile: Profile,
  approverId: string,
): Promise<((approverIds: readonly string[]) => boolean) | undefined> {
  if (!profile.bundle) return undefined;
  const counted = await countedFor(store, person, request, profile, [approverId]);
  return (ids) => approvalsSatisfy(profile, new Map(ids.map((id) => [id, counted.get(id) ?? []])));
}

async function countedFor(
  store: Store,
  person: (userId: string) => Promise<Person>,
  request: AccessRequest,
  profile: Profile,
  also: string[],
): Promise<Map<string, string[]>> {
  const approvals = await store.requests.approvals(request.id);
  const ids = new Set([...approvals.filter((a) => a.decision === "approve").map((a) => a.approverId), ...also]);
  const counted = new Map<string, string[]>();
  for (const id of ids) counted.set(id, countsFor(profile, request.requesterId, await person(id)));
  return counted;
}

/**
 * Two approvers of different profiles clicking at the same instant: each transaction may miss the
 * other's vote and only record. Whoever looks again after committing sees both; the guarded move
 * from pending lets exactly one of them approve. Returns the approved request, if this call did it.
 */
export async function settleBundle(
  store: Store,
  person: (userId: string) => Promise<Person>,
  request: AccessRequest,
  profile: Profile,
  approverId: string,
  at: Date,
): Promise<AccessRequest | undefined> {
  if (!profile.bundle) return undefined;
  const counted = await countedFor(store, person, request, profile, []);
  if (!approvalsSatisfy(profile, counted)) return undefined;
  try {
    return await store.requests.transition({
      id: request.id,
      from: "pending",
      event: "approve",
      at,
      actor: approverId,
      detail: { approvals: counted.size, bundle: profile.id },
    });
  } catch (error) {
    if (isDomainError(error)) return undefined;
    throw error;
  }
}
