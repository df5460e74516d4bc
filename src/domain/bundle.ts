import type { Bundle, PartProfile, Policy, Profile } from "../config/schema.js";

/**
 * A bundle is requested like a profile: this is that profile. Its rules are the strictest of its
 * profiles' (the shortest duration.max, the longest justification, a ticket if any asks for one);
 * the rules a single profile cannot express — every requester and approver set — are checked
 * against `bundle.profiles` by domain/policy.ts. Its grant is a composite of every profile's grants.
 */
export function bundleProfile(bundle: Bundle, profiles: readonly Profile[]): Profile {
  const members = bundle.profiles.flatMap((id) => profiles.find((p) => p.id === id) ?? []);
  const [first] = members;
  if (!first) throw new Error(`bundle ${bundle.id} names no profile of the policy`);
  const max = Math.min(...members.map((p) => p.duration.max));
  return {
    id: bundle.id,
    title: bundle.title,
    description: bundle.description,
    // Only a placeholder the type wants: every display names each profile's cluster (clustersOf).
    cluster: first.cluster,
    grant: { type: "composite", parts: members.flatMap(partsOf) },
    duration: { default: Math.min(max, ...members.map((p) => p.duration.default)), max },
    approval: {
      channel: bundle.channel ?? first.approval.channel,
      approvers: {
        users: [...new Set(members.flatMap((p) => p.approval.approvers.users))],
        slackUserGroups: [...new Set(members.flatMap((p) => p.approval.approvers.slackUserGroups))],
      },
      required: members.reduce((sum, p) => sum + p.approval.required, 0),
      selfApproval: members.every((p) => p.approval.selfApproval),
      // Step-up when any profile asks for it (the first authentication context named wins). No
      // on-call auto-approval: a bundle is more than any one schedule's rule was written for.
      stepUp: strictestStepUp(members),
    },
    justification: { minLength: Math.max(...members.map((p) => p.justification.minLength)) },
    ticket: { required: members.some((p) => p.ticket.required) },
    extension: strictestExtension(members),
    standingMembers: [],
    bundle: { profiles: members },
  };
}

function strictestStepUp(members: readonly Profile[]): Profile["approval"]["stepUp"] {
  const asked = members.flatMap((p) => p.approval.stepUp ?? []);
  return asked.find((s) => s.authenticationContext !== undefined) ?? asked[0];
}

/** Extensions only when every profile allows them, within the tightest of their limits. */
function strictestExtension(members: readonly Profile[]): Profile["extension"] {
  const all = members.map((p) => p.extension);
  if (all.some((e) => e === undefined)) return undefined;
  const present = all.flatMap((e) => e ?? []);
  const maxes = present.flatMap((e) => (e.max === undefined ? [] : [e.max]));
  return {
    max: maxes.length ? Math.min(...maxes) : undefined,
    autoApprove: present.every((e) => e.autoApprove),
    maxTotal: Math.min(...members.map((p) => p.extension?.maxTotal ?? p.duration.max)),
  };
}

const cache = new WeakMap<Policy, Profile[]>();

/** The policy's bundles as profiles, built once per policy object. */
export function bundleProfiles(policy: Policy): Profile[] {
  let built = cache.get(policy);
  if (!built) {
    built = (policy.bundles ?? []).map((bundle) => bundleProfile(bundle, policy.profiles));
    cache.set(policy, built);
  }
  return built;
}

/** Everything that can be requested by id: the profiles, then the bundles. */
export function requestables(policy: Policy): Profile[] {
  return [...policy.profiles, ...bundleProfiles(policy)];
}

/** The single-grant profiles a profile applies: itself, or each part of its composite grant. */
export function partsOf(profile: Profile): PartProfile[] {
  return profile.grant.type === "composite" ? profile.grant.parts : isSingle(profile) ? [profile] : [];
}

/** A profile with one grant is its own part (the same object, so identity comparisons hold). */
function isSingle(profile: Profile): profile is PartProfile {
  return profile.grant.type !== "composite";
}

/** Every single-grant profile of the policy (a grant list counts once per grant), for per-type checks. */
export function policyParts(policy: Policy): PartProfile[] {
  return policy.profiles.flatMap(partsOf);
}

/** "AKS prod-aks + EKS britive-test": each distinct cluster a request reaches. */
export function clustersOf(profile: Profile, label: (p: Profile) => string): string {
  const profiles = profile.bundle?.profiles ?? [profile];
  return [...new Set(profiles.map(label))].join(" + ");
}

/** `entra-group + aws-role`: what a request's grant consists of. */
export function grantTypesOf(profile: Profile): string {
  return partsOf(profile)
    .map((part) => part.grant.type)
    .join(" + ");
}
