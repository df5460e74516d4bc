import { randomBytes } from "node:crypto";
import { formatDuration } from "../config/duration.js";
import { type DomainError, isDomainError } from "./errors.js";
import type { EarlyEnd } from "./request.js";

const TEXT_NAMES: Record<string, string> = {
  justification: "justification",
  ticket: "ticket reference",
  denyReason: "reason",
  command: "command",
};

const num = (value: string | number | undefined): number => Number(value ?? 0);

/** The one sentence a person sees for each refusal. */
export function domainMessage(error: DomainError): string {
  const d = error.detail;
  switch (error.code) {
    case "PROFILE_NOT_FOUND":
      return `There is no access profile called "${d.id}". Type \`/jit request\` to pick from the list.`;
    case "NOT_A_REQUESTER":
      return `You are not among the people who may request "${d.profile}". Ask its owners to add you or your Slack user group.`;
    case "DURATION_INVALID":
      return 'That is not a duration jitbot understands. Use forms like "30m", "2h" or "1h30m".';
    case "DURATION_OVER_CAP":
      return `That is longer than this profile allows (at most ${formatDuration(num(d.max))}).`;
    case "DURATION_TOO_SHORT":
      return `Access must last at least ${formatDuration(num(d.min))}.`;
    case "JUSTIFICATION_TOO_SHORT":
      return `Please say why you need access in at least ${d.minLength} characters.`;
    case "TICKET_REQUIRED":
      return "This profile needs a ticket reference.";
    case "TICKET_INVALID":
      return `That ticket reference does not match the expected format (${d.pattern}).`;
    case "REQUEST_NOT_FOUND":
      return `There is no request ${d.id}. \`/jit list\` shows yours.`;
    case "NOT_YOUR_REQUEST":
      return "Only the person who asked (or one of its approvers, for a revoke) can do that.";
    case "NOT_AN_APPROVER":
      return `you are not an approver of "${d.profile}".`;
    case "SELF_APPROVAL":
      return "you cannot approve your own request.";
    case "ALREADY_DECIDED_BY_YOU":
      return "you have already decided on this request.";
    case "ALREADY_DECIDED":
      return `this request is already ${String(d.status).replace("_", " ")}.`;
    case "INVALID_TRANSITION":
      return `That cannot be done to a request that is ${String(d.from).replace("_", " ")}.`;
    case "NO_EMAIL":
      return "jitbot cannot read your email address from Slack, and this profile needs it to find you in the cloud. Ask a Slack admin to make emails visible to the app (users:read.email).";
    case "IDENTITY_NOT_FOUND":
      return `Your Slack email ${d.email} does not match a user in the cloud directory.`;
    case "PROVIDER_FAILED":
      return String(d.reason ?? "The cloud provider refused the change.");
    case "EXTENSION_NOT_ALLOWED":
      return "This grant cannot be extended; request the profile again when it ends.";
    case "EXTENSION_OVER_TOTAL":
      return num(d.left) > 0
        ? `Extensions may add at most ${formatDuration(num(d.maxTotal))} to one grant in total; this one can still be extended by ${formatDuration(num(d.left))}.`
        : `This grant has already been extended by the most its profile allows (${formatDuration(num(d.maxTotal))} in total); request the profile again when it ends.`;
    case "SHUTTING_DOWN":
      return "jitbot is restarting; please try again in a minute.";
    case "TEXT_TOO_LONG":
      return `That ${TEXT_NAMES[String(d.field)] ?? "text"} is too long: ${num(d.length).toLocaleString("en-US")} characters, at most ${num(d.max).toLocaleString("en-US")}.`;
    case "DENY_REASON_MISSING":
      return "Please give the requester a reason.";
    case "REQUEST_ID_INVALID":
      return "That is not a request id (they look like JR-7K3Q9M). `/jit list` shows yours.";
    case "FORM_DAMAGED":
      return "jitbot could not read what this form sent (it may come from an older version of jitbot). Close it and start again.";
    case "BUTTON_DAMAGED":
      return "jitbot could not read this button (it may come from an older message). `/jit list` and jitbot's App Home show what you can do now.";
    case "STEP_UP_REQUIRED":
      return "an approval of this profile counts only after you sign in with Entra ID; click Approve to get your sign-in link.";
    case "STEP_UP_UNAVAILABLE":
      return "an approval of this profile needs an Entra ID sign-in, and this jitbot is not set up for it (JITBOT_PUBLIC_URL and the Entra app); tell jitbot's operators.";
    case "BREAK_GLASS_NOT_ALLOWED":
      return `Break glass is not available for "${d.profile}"; ask for approval instead.`;
    case "BREAK_GLASS_OVER_MAX":
      return `Break glass grants at most ${formatDuration(num(d.max))} on this profile; choose a shorter time, or ask for approval to get longer.`;
    case "BREAK_GLASS_REASON_TOO_LONG":
      return `That reason is too long to carry into the break-glass confirmation; keep it under about ${num(d.max).toLocaleString("en-US")} characters.`;
    case "NOT_BREAK_GLASS":
      return `${d.id} is not a break-glass request; there is nothing to confirm.`;
    case "BREAK_GLASS_OWN":
      return "you broke the glass yourself; another approver must confirm it.";
    case "BREAK_GLASS_CONFIRMED":
      return `it was already confirmed by <@${d.by}>.`;
    case "BREAK_GLASS_OVER":
      return `this break-glass access is already over (${String(d.status).replace("_", " ")}).`;
    case "BREAK_GLASS_TOO_LATE":
      return "the time to confirm it has passed; the access is being revoked.";
  }
}

/** The answer to whoever asked to end a request early; the "revoked" DM follows on its own. */
export function earlyEndAnswer(outcome: EarlyEnd, requestId: string): string | undefined {
  switch (outcome) {
    case "revoking":
      return undefined;
    case "revoke_after_grant":
      return `${requestId} is still being granted; it will be revoked as soon as the grant completes.`;
    case "cancelled":
      return `${requestId} was withdrawn before its grant started; no access was granted.`;
  }
}

export function newCorrelationId(): string {
  return randomBytes(4).toString("hex");
}

/** A safe sentence for any failure: domain and provider errors speak for themselves; others get an id. */
export function describeFailure(error: unknown, correlationId: string): string {
  if (isDomainError(error)) return domainMessage(error);
  if (error instanceof Error && error.name === "ProviderError" && "userMessage" in error) {
    return String((error as { userMessage: unknown }).userMessage);
  }
  return `Something went wrong inside jitbot (reference ${correlationId}); an operator can find the details in the logs.`;
}
