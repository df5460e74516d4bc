import type { Policy, Profile } from "../config/schema.js";
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

export function mayRequest(profile: Profile, person: Person): boolean {
  return profile.requesters === undefined || isListed(profile.requesters, person);
}

export function requestableProfiles(policy: Policy, person: Person): Profile[] {
  return policy.profiles.filter((profile) => mayRequest(profile, person));
}

export function findProfile(policy: Policy, id: string): Profile | undefined {
  return policy.profiles.find((profile) => profile.id === id);
}

/** Whether `person` may decide on a request by `requesterId`; the refusal says why. */
export function checkApprover(profile: Profile, requesterId: string, person: Person): DomainError | undefined {
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
