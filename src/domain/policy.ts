import type { Policy, Profile } from "../config/schema.js";
import { bundleProfiles, requestables } from "./bundle.js";
import { DomainError } from "./errors.js";
import { checkLength } from "./limits.js";
import { ticketMatches } from "./ticket-pattern.js";

/** A Slack user as policy sees them: id and the user groups they belong to. */
export interface Person {
  id: string;
  groups: readonly string[];
}

export type FieldErrors = Partial<Record<"profile" | "duration" | "justification" | "ticket", DomainError>>;

function isListed(people: { users: string[]; slackUserGroups: string[] }, person: Person): boolean {
  return people.users.includes(person.id) || people.slackUserGroups.some((group) => person.groups.includes(group));
}

/** A bundle may be requested only by someone every one of its profiles allows. */
export function mayRequest(profile: Profile, person: Person): boolean {
  if (profile.bundle) return profile.bundle.profiles.every((member) => mayRequest(member, person));
  return profile.requesters === undefined || isListed(profile.requesters, person);
}

export function requestableProfiles(policy: Policy, person: Person): Profile[] {
  return requestables(policy).filter((profile) => mayRequest(profile, person));
}

/** A profile or a bundle (as the profile it is requested as). */
export function findProfile(policy: Policy, id: string): Profile | undefined {
  // Profiles first, without copying them: this runs once per grant in every sweep.
  return policy.profiles.find((profile) => profile.id === id) ?? bundleProfiles(policy).find((b) => b.id === id);
}

/**
 * Whether `person` may decide on a request by `requesterId`; the refusal says why. On a bundle,
 * whoever may decide on one of its profiles may decide (their approval counts for those profiles).
 */
export function checkApprover(profile: Profile, requesterId: string, person: Person): DomainError | undefined {
  if (profile.bundle) {
    const refusals = profile.bundle.profiles.map((member) => checkApprover(member, requesterId, person));
    if (refusals.some((refusal) => refusal === undefined)) return undefined;
    return (
      refusals.find((refusal) => refusal?.code === "SELF_APPROVAL") ??
      new DomainError("NOT_AN_APPROVER", { profile: profile.id })
    );
  }
  if (!isListed(profile.approval.approvers, person)) return new DomainError("NOT_AN_APPROVER", { profile: profile.id });
  if (person.id === requesterId && !profile.approval.selfApproval) return new DomainError("SELF_APPROVAL");
  return undefined;
}

/** Slack user groups a decision on this profile depends on (to ask Slack who is in them). */
export function groupsThatMatter(profile: Profile): string[] {
  return [...(profile.requesters?.slackUserGroups ?? []), ...profile.approval.approvers.slackUserGroups];
}

export interface RequestInput {
  durationSeconds: number | undefined;
  justification: string;
  ticket: string;
}

/** Everything a person typed, checked against the profile; one error per field. */
export function validateRequestInput(profile: Profile, input: RequestInput): FieldErrors {
  const errors = validateOne(profile, input);
  // A bundle's own rules are already the strictest; only its profiles' ticket patterns are left.
  for (const member of profile.bundle?.profiles ?? []) {
    const ticket = errors.ticket ?? validateOne(member, input).ticket;
    if (ticket) errors.ticket = ticket;
  }
  return errors;
}

function validateOne(profile: Profile, input: RequestInput): FieldErrors {
  const errors: FieldErrors = {};
  const seconds = input.durationSeconds;
  if (seconds === undefined || !Number.isInteger(seconds) || seconds <= 0) {
    errors.duration = new DomainError("DURATION_INVALID");
  } else if (seconds > profile.duration.max) {
    errors.duration = new DomainError("DURATION_OVER_CAP", { max: profile.duration.max });
  } else if (seconds < 60) {
    errors.duration = new DomainError("DURATION_TOO_SHORT", { min: 60 });
  }
  const minLength = profile.justification.minLength;
  const justification = input.justification.trim();
  if (justification.length < minLength) {
    errors.justification = new DomainError("JUSTIFICATION_TOO_SHORT", { minLength });
  }
  const justificationTooLong = checkLength("justification", justification);
  if (justificationTooLong) errors.justification = justificationTooLong;
  const ticket = input.ticket.trim();
  const ticketTooLong = checkLength("ticket", ticket);
  if (ticketTooLong) errors.ticket = ticketTooLong;
  else if (ticket === "" && profile.ticket.required) errors.ticket = new DomainError("TICKET_REQUIRED");
  else if (ticket !== "" && profile.ticket.pattern && !ticketMatches(profile.ticket.pattern, ticket)) {
    errors.ticket = new DomainError("TICKET_INVALID", { pattern: profile.ticket.pattern });
  }
  return errors;
}

const STANDARD_CHOICES = [900, 1800, 3600, 7200, 14_400, 28_800, 43_200, 86_400];

/** The durations offered in the modal: common steps up to the cap, plus the default and the cap. */
export function durationChoices(profile: Profile): number[] {
  const { default: def, max } = profile.duration;
  const choices = new Set(STANDARD_CHOICES.filter((seconds) => seconds <= max));
  choices.add(def);
  choices.add(max);
  return [...choices].sort((a, b) => a - b);
}

/** The profiles of a bundle an approver's approval counts for (every one they may decide on). */
export function countsFor(profile: Profile, requesterId: string, person: Person): string[] {
  const members = profile.bundle?.profiles ?? [profile];
  return members.filter((member) => !checkApprover(member, requesterId, person)).map((member) => member.id);
}

/**
 * Whether approvals satisfy every approver set: each profile needs its own `required` count of
 * distinct approvers whose approval counts for it. `counted` maps each approver to what it counts for.
 */
export function approvalsSatisfy(profile: Profile, counted: ReadonlyMap<string, readonly string[]>): boolean {
  const members = profile.bundle?.profiles ?? [profile];
  return members.every((member) => {
    let votes = 0;
    for (const ids of counted.values()) if (ids.includes(member.id)) votes++;
    return votes >= member.approval.required;
  });
}
