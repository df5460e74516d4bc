import type { GrantType, Profile } from "../config/schema.js";

/** The person access is granted to, as Slack knows them. */
export interface GrantSubject {
  slackUserId: string;
  email: string;
  name: string;
}

export interface GrantRequest {
  requestId: string;
  profile: Profile;
  subject: GrantSubject;
  durationSeconds: number;
  startsAt: Date;
  expiresAt: Date;
  justification: string;
  ticket?: string;
}

/**
 * What a provider remembers about a grant so it can revoke it later. Stored in the database as
 * JSON: it must never hold a secret (no keys, tokens or passwords).
 */
export type ProviderState = Record<string, string | number | boolean | null>;

/**
 * The state `revoke` gets when a grant was interrupted (crash, failed grant) before its state was
 * stored: the provider must undo whatever this grant could have applied for the subject, leaving
 * alone only what the profile declares as standing access (`standingMembers`).
 */
export const ROLLBACK_STATE: ProviderState = { rollback: true };

/** One block of the DM: a heading with text and/or a copy-paste code block. */
export interface ConnectSection {
  heading: string;
  text?: string;
  code?: string;
  /** Holds a secret: removed from the DM once the access has ended. */
  secret?: boolean;
}

/** What the person is told after a grant: how to connect, and what to keep in mind. */
export interface ConnectInstructions {
  summary: string;
  sections: ConnectSection[];
  notes: string[];
  /**
   * Who ends the access at the end when that is the cloud itself, not the person's tokens running
   * out ("the cluster"): the DM then says "enforced by the cluster: ends at HH:MM:SS".
   */
  endEnforcedBy?: string;
}

export interface GrantOutcome {
  state: ProviderState;
  /** Sent by DM only; may contain secrets in sections marked `secret`. Never stored or logged. */
  instructions: ConnectInstructions;
  /** When the cloud itself ends the access (STS session end, PIM expiration, SP secret end). */
  providerExpiresAt?: Date;
}

/** A grant as stored: what `revoke` gets back. */
export interface ActiveGrant {
  requestId: string;
  profile: Profile;
  subject: GrantSubject;
  expiresAt: Date;
  state: ProviderState;
  providerExpiresAt?: Date;
}

export interface RevokeOutcome {
  /** One line for the audit log and the DM ("removed from group …", "standing member; left in place"). */
  detail: string;
}

/**
 * The port every grant type implements. Both verbs are idempotent: granting twice, revoking twice
 * or revoking what was never granted succeeds without changing anything more. Failures are
 * `ProviderError`s.
 */
export interface GrantProvider {
  readonly type: GrantType;
  grant(request: GrantRequest): Promise<GrantOutcome>;
  revoke(grant: ActiveGrant): Promise<RevokeOutcome>;
}

/** Optional: issue fresh credentials for a grant that is still active (STS sessions shorter than it). */
export interface CredentialRefresher {
  refresh(grant: ActiveGrant, now: Date): Promise<GrantOutcome>;
}

/** What applying an extension changed at the provider. */
export interface ExtendOutcome {
  state: ProviderState;
  /** When the cloud itself now ends the access; undefined leaves the stored end as it was. */
  providerExpiresAt?: Date;
  /**
   * New credentials, when the old ones cannot outlive the old end (a secret, an STS session). Sent
   * by DM in place of the old ones, which are removed from the old DM; never stored or logged.
   */
  instructions?: ConnectInstructions;
  /** One line for the audit log ("PIM assignment now ends at …", "jitbot's own timer"). */
  detail: string;
}

/**
 * Optional: move the end the cloud enforces to `expiresAt` when an extension is applied, before
 * jitbot moves its own. A grant type without it cannot be extended: telling the person "extended"
 * while the cloud still ends the access at the old time would be a lie.
 */
export interface Extender {
  extend(grant: ActiveGrant, expiresAt: Date, now: Date): Promise<ExtendOutcome>;
}

/** Optional: refuse at request time what the provider could never grant (e.g. a too-long STS session). */
export interface RequestChecker {
  /** Returns a sentence explaining the refusal, or undefined when the request can be granted. */
  checkRequest(profile: Profile, durationSeconds: number): string | undefined;
}

/** Optional: who holds the access right now, for the drift report. */
export interface MemberLister {
  listMembers(profile: Profile): Promise<{ id: string; displayName: string; userPrincipalName?: string }[]>;
}

/**
 * What a read-back found, without changing anything:
 * - `gone`: the access the grant gave is provably no longer there (or there was none to remove);
 * - `present`: the cloud still shows it (not yet replicated, or the removal did not take);
 * - `unrecallable`: it cannot be taken back before the cloud ends it (issued AWS keys without a
 *   deny policy); retrying would change nothing, so the revoke ends unverified.
 */
export interface ReadBack {
  status: "gone" | "present" | "unrecallable";
  /** One line for the audit log: what was read ("no longer a member of group …"). */
  detail: string;
}

/** Optional: read back, after a revoke, that what it removed is really gone (proof, not trust). */
export interface RevokeReader {
  readBack(grant: ActiveGrant): Promise<ReadBack>;
}

export function canRefresh(provider: GrantProvider): provider is GrantProvider & CredentialRefresher {
  return typeof (provider as Partial<CredentialRefresher>).refresh === "function";
}

export function canExtend(provider: GrantProvider): provider is GrantProvider & Extender {
  return typeof (provider as Partial<Extender>).extend === "function";
}

export function canCheckRequest(provider: GrantProvider): provider is GrantProvider & RequestChecker {
  return typeof (provider as Partial<RequestChecker>).checkRequest === "function";
}

export function canListMembers(provider: GrantProvider): provider is GrantProvider & MemberLister {
  return typeof (provider as Partial<MemberLister>).listMembers === "function";
}

export function canReadBack(provider: GrantProvider): provider is GrantProvider & RevokeReader {
  return typeof (provider as Partial<RevokeReader>).readBack === "function";
}
