import type { PartProfile } from "../config/schema.js";
import { type ActiveGrant, type GrantProvider, type ProviderState, ROLLBACK_STATE } from "./provider.js";

/**
 * How a composite grant keeps each part's state in one flat record: part i's keys are prefixed
 * `p<i>.`, and `p<i>:type`, `p<i>:ends` (the cloud's own end, ms) and `p<i>:revoked` describe the
 * part itself. Parts hold only what their providers already store (never a secret).
 */
export const partKey = (index: number, key: string) => `p${index}.${key}`;
const meta = (index: number, what: "type" | "ends" | "revoked") => `p${index}:${what}`;

/** A composite whose state was never stored (a crash, a failed grant): every part rolls back. */
function isRollback(state: ProviderState): boolean {
  return state.rollback === true && state.parts === undefined;
}

/**
 * Part i's own state. A part whose stored type is not the one the policy now names at that place
 * (the grant list was edited meanwhile) gets the roll-back state: undo whatever it could have given.
 */
export function partState(state: ProviderState, index: number, part: PartProfile): ProviderState {
  if (isRollback(state)) return ROLLBACK_STATE;
  const stored = state[meta(index, "type")];
  if (stored !== undefined && stored !== part.grant.type) return ROLLBACK_STATE;
  const prefix = `p${index}.`;
  const own: ProviderState = {};
  for (const [key, value] of Object.entries(state)) if (key.startsWith(prefix)) own[key.slice(prefix.length)] = value;
  return own;
}

/** Part i's state written back into the composite's record (replacing what it held before). */
export function withPartState(
  state: ProviderState,
  index: number,
  part: PartProfile,
  own: ProviderState,
  endsAt?: Date,
): ProviderState {
  const prefix = `p${index}.`;
  const next: ProviderState = {};
  for (const [key, value] of Object.entries(state)) if (!key.startsWith(prefix)) next[key] = value;
  for (const [key, value] of Object.entries(own)) next[partKey(index, key)] = value;
  next[meta(index, "type")] = part.grant.type;
  if (endsAt) next[meta(index, "ends")] = endsAt.getTime();
  return next;
}

export function partEnds(state: ProviderState, index: number): Date | undefined {
  const ends = state[meta(index, "ends")];
  return typeof ends === "number" ? new Date(ends) : undefined;
}

export function isPartRevoked(state: ProviderState, index: number): boolean {
  return state[meta(index, "revoked")] === true;
}

export function markPartRevoked(state: ProviderState, index: number): ProviderState {
  return { ...state, [meta(index, "revoked")]: true };
}

/**
 * When the cloud itself ends every part: the latest of their ends, and only if each part has one.
 * A part jitbot alone ends (a group membership) means the cloud never ends the whole on its own.
 */
export function compositeEnds(state: ProviderState, count: number): Date | undefined {
  let latest: Date | undefined;
  for (let index = 0; index < count; index++) {
    const ends = partEnds(state, index);
    if (!ends) return undefined;
    if (!latest || ends > latest) latest = ends;
  }
  return latest;
}

/** A part of a composite: its single-grant profile and the provider of its type (if configured). */
export interface Part {
  index: number;
  profile: PartProfile;
  provider: GrantProvider | undefined;
  label: string;
}

/** The grant as part i sees it: its own profile, its own state, its own cloud end. */
export function partGrant(grant: ActiveGrant, part: Part): ActiveGrant {
  return {
    ...grant,
    profile: part.profile,
    state: partState(grant.state, part.index, part.profile),
    providerExpiresAt: partEnds(grant.state, part.index),
  };
}
