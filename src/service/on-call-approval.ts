import { formatDuration } from "../config/duration.js";
import type { Profile } from "../config/schema.js";
import { DomainError } from "../domain/errors.js";
import { ON_CALL_APPROVER } from "../domain/on-call.js";
import { checkApprover, type Person } from "../domain/policy.js";
import type { AccessRequest, Approval } from "../domain/request.js";
import { PROVIDER_NAME } from "../oncall/config.js";
import { failureSentence, type OnCallLookup, type OnCallVerdict } from "../oncall/index.js";
import type { Store } from "../store/index.js";
import type { AccessService, ServiceDeps } from "./access-service.js";
import { applyApproved } from "./approved.js";
import type { MessageRef } from "./ports.js";

/** What Slack shows for on-call auto-approval; SlackOnCallNotifier implements it. */
export interface OnCallNotifier {
  /** The approval channel's message (with Revoke for approvers) and the requester's DM. */
  autoApproved(request: AccessRequest, profile: Profile, approvals: Approval[]): Promise<MessageRef | undefined>;
  /** Why auto-approval did not apply: to the requester, and under the approval message when `inChannel`. */
  autoApprovalSkipped(request: AccessRequest, profile: Profile, sentence: string, inChannel: boolean): Promise<void>;
}

export interface OnCallDeps {
  lookup: OnCallLookup;
  notifier: OnCallNotifier;
}

/** Approve now, or go to approvers with a sentence for the requester (and the channel) saying why. */
export type OnCallDecision =
  | { kind: "approve"; verdict: Extract<OnCallVerdict, { kind: "on_call" }> }
  | { kind: "approvers"; sentence?: string; inChannel: boolean };

/**
 * Whether a request just filed is approved because its requester is on call now. The lookup has
 * its own deadline and never throws; anything but a clear "on call" leaves the decision to people.
 */
export async function onCallDecision(
  lookup: OnCallLookup,
  profile: Profile,
  request: AccessRequest,
): Promise<OnCallDecision> {
  const setting = profile.approval.autoApproveOnCall;
  if (!setting) return { kind: "approvers", inChannel: false };
  if (request.durationSeconds > setting.max) {
    return {
      kind: "approvers",
      sentence: `On-call auto-approval applies to requests of up to ${formatDuration(setting.max)} and this one is for ${formatDuration(request.durationSeconds)}, so the approvers decide as usual.`,
      inChannel: true,
    };
  }
  if (!request.requesterEmail) {
    return {
      kind: "approvers",
      sentence:
        "On-call auto-approval needs your Slack email to find you on the schedule, so the approvers decide as usual.",
      inChannel: false,
    };
  }
  const verdict = await lookup.check(setting, request.requesterEmail);
  const provider = PROVIDER_NAME[verdict.provider];
  switch (verdict.kind) {
    case "on_call":
      return { kind: "approve", verdict };
    case "not_on_call":
      return {
        kind: "approvers",
        sentence: `You are not on call now in this profile's ${provider} schedule${setting.schedules.length === 1 ? "" : "s"}, so the approvers decide as usual.`,
        inChannel: false,
      };
    case "unavailable":
      return {
        kind: "approvers",
        sentence: `On-call auto-approval did not apply because ${failureSentence(verdict.provider, verdict.failure)}, so the approvers decide as usual.`,
        inChannel: true,
      };
  }
}

/**
 * Records the approval by the on-call rule, as one approver's decision (guarded on `pending`, like
 * a click), with the provider and schedule in its audit row. The caller grants it like any other.
 */
export async function recordOnCallApproval(
  store: Store,
  request: AccessRequest,
  verdict: Extract<OnCallVerdict, { kind: "on_call" }>,
  at: Date,
): Promise<AccessRequest> {
  const outcome = await store.requests.decide({
    id: request.id,
    approverId: ON_CALL_APPROVER,
    decision: "approve",
    required: 1,
    note: `on call for ${verdict.scheduleName} (${PROVIDER_NAME[verdict.provider]})`,
    at,
    detail: {
      onCall: { provider: verdict.provider, schedule: verdict.scheduleId, scheduleName: verdict.scheduleName },
    },
  });
  return outcome.request;
}

/** Revoke on an auto-approval message is for the profile's approvers only, whoever else clicks it. */
export function checkMayRevokeAutoApproved(profile: Profile | undefined, person: Person): DomainError | undefined {
  if (!profile) return new DomainError("NOT_AN_APPROVER", { profile: "this profile" });
  // Anyone listed may stop access, the requester included: ending access early is never a risk.
  return checkApprover(profile, "", person);
}

/**
 * The whole auto-approval: the decision is recorded, the channel and the requester are told, and
 * the grant starts as after any approval (applyApproved: a new grant, or an extension's new end).
 */
export async function approveOnCall(
  deps: ServiceDeps & { onCall: OnCallDeps },
  request: AccessRequest,
  profile: Profile,
  verdict: Extract<OnCallVerdict, { kind: "on_call" }>,
): Promise<AccessRequest> {
  const { store, clock } = deps;
  const approved = await recordOnCallApproval(store, request, verdict, clock.now());
  const posted = await deps.onCall.notifier.autoApproved(approved, profile, await store.requests.approvals(request.id));
  if (posted) await store.requests.setApprovalMessage(request.id, posted.channel, posted.ts);
  const current = await store.requests.mustGet(request.id);
  await applyApproved(deps, current, profile);
  return current;
}

/**
 * Revoke on the channel's auto-approval message. Only the profile's approvers may use it (the
 * button is shown to the whole channel); a request already over gets a sentence, not a refusal.
 */
export async function revokeAutoApproved(
  service: AccessService,
  requestId: string,
  userId: string,
): Promise<{ answer: string | undefined }> {
  const request = await service.request(requestId);
  const refusal = checkMayRevokeAutoApproved(service.profile(request.profileId), await service.person(userId));
  if (refusal) throw refusal;
  if (request.status !== "approved" && request.status !== "active") {
    return {
      answer: `${request.id} has already ended (${request.status.replace("_", " ")}); there is nothing to revoke.`,
    };
  }
  return service.revoke(requestId, userId);
}
