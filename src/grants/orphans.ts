import type { Profile } from "../config/schema.js";
import type { GrantProvider } from "./provider.js";

/** Something in the cloud that gives access and that jitbot (or someone) made, as a listing found it. */
export interface OwnedObject {
  /** Stable identity across passes, unique per grant type: what a drift finding is remembered by. */
  key: string;
  /** What the provider needs to remove it: a principal ARN, an application or principal object id. */
  ref: string;
  /** One line naming the object for the audit log and Slack ("EKS access entry of arn:… on prod"). */
  description: string;
  /** The request jitbot wrote on the object (tag, unique name, justification), when it carries one. */
  requestId?: string;
  /** Who holds access through it: object ids, UPNs, principal ARNs (compared lower-cased). */
  holders: string[];
  /** Changes when the object does (tags, end date, name), so a finding is reported again. */
  fingerprint: string;
  /** False for what jitbot may only report (a group member it cannot prove it added, a deny statement). */
  removable: boolean;
}

/**
 * Optional: list what jitbot created for a profile, and remove one such object when no live grant
 * explains it (the orphan reaper). `listOwned` throws on any listing error — a partial answer must
 * never read as "nothing is there" — and `removeOrphan` is idempotent (already gone is success).
 */
export interface OrphanFinder {
  listOwned(profile: Profile): Promise<OwnedObject[]>;
  /** Returns one line for the audit detail, or undefined when the object was already gone. */
  removeOrphan(profile: Profile, object: OwnedObject): Promise<string | undefined>;
}

export function canFindOrphans(provider: GrantProvider): provider is GrantProvider & OrphanFinder {
  const candidate = provider as Partial<OrphanFinder>;
  return typeof candidate.listOwned === "function" && typeof candidate.removeOrphan === "function";
}

/**
 * Where a profile's access lives. Profiles sharing a target share objects: a member of a group is
 * explained by a live grant of any profile on that group, whatever its grant type.
 */
export function targetOf(profile: Profile): string {
  const grant = profile.grant;
  switch (grant.type) {
    case "entra-group":
    case "entra-pim-group":
    case "entra-service-principal":
      return `entra-group:${grant.groupId.toLowerCase()}`;
    case "eks-access-entry":
      return profile.cluster.kind === "eks" ? `eks:${profile.cluster.region}/${profile.cluster.name}` : "eks:?";
    case "aws-role":
      return `aws-role:${grant.roleArn}`;
    // Bindings are jitbot's own objects on one cluster, told apart by their request-id label.
    case "kubernetes-rolebinding":
      return `kubernetes:${profile.cluster.name}`;
  }
}

/** The `(jitbot JR-…)` mark the PIM provider writes into a justification. */
export function requestIdInJustification(justification: string | null | undefined): string | undefined {
  return /\(jitbot ([A-Za-z0-9_.-]+)\)\s*$/.exec(justification ?? "")?.[1];
}
