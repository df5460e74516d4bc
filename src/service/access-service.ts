import type { Policy, Profile } from "../config/schema.js";
import { breakGlassRefusals } from "../domain/break-glass.js";
import type { Clock } from "../domain/clock.js";
import { DomainError } from "../domain/errors.js";
import { newRequestId } from "../domain/ids.js";
import { checkLength } from "../domain/limits.js";
import {
  checkApprover,
  type FieldErrors,
  findProfile,
  mayRequest,
  type Person,
  type RequestInput,
  requestableProfiles,
  validateRequestInput,
} from "../domain/policy.js";
import type { AccessRequest, GrantRecord } from "../domain/request.js";
import type { GrantEngine } from "../grants/engine.js";
import { canCheckRequest, canExtend } from "../grants/provider.js";
import { type ProviderRegistry, providerFor } from "../grants/registry.js";
import type { Store } from "../store/index.js";
import { applyApproved, extensionRefusal, extensionRoom, extensionTarget } from "./approved.js";
import { confirmBreakGlass, grantBreakGlass } from "./break-glass.js";
import { bundleRule, settleBundle } from "./bundle-approval.js";
import { cancelRequest, type EarlyEndAnswer, refreshGrant, revokeGrant } from "./early-end.js";
import { approveOnCall, type OnCallDeps, onCallDecision } from "./on-call-approval.js";
import type { Directory, Notifier } from "./ports.js";

export interface ServiceDeps {
  store: Store;
  policy: Policy;
  clock: Clock;
  directory: Directory;
  notifier: Notifier;
  engine: GrantEngine;
  providers: ProviderRegistry;
  /** On-call auto-approval (approval.autoApproveOnCall); without it every request goes to approvers. */
  onCall?: OnCallDeps;
}

export type { EarlyEndAnswer };

export type SubmitResult =
  | { ok: true; request: AccessRequest }
  | { ok: false; errors: FieldErrors }
  /** This modal's submission was filed already (a replay, or a resend racing the first). */
  | { ok: false; duplicate: true };

export interface MyAccess {
  pending: AccessRequest[];
  active: { request: AccessRequest; grant: GrantRecord }[];
}

/** The use cases. Slack listeners parse input, call one of these, and render the result. */
export class AccessService {
  private readonly allGroups: string[];

  constructor(private readonly deps: ServiceDeps) {
    const groups = new Set<string>();
    for (const p of deps.policy.profiles) {
      for (const g of [...(p.requesters?.slackUserGroups ?? []), ...p.approval.approvers.slackUserGroups])
        groups.add(g);
    }
    this.allGroups = [...groups];
  }

  get policy(): Policy {
    return this.deps.policy;
  }

  async person(userId: string): Promise<Person> {
    return { id: userId, groups: await this.deps.directory.groupsOf(userId, this.allGroups) };
  }

  async requestableProfiles(userId: string): Promise<Profile[]> {
    return requestableProfiles(this.deps.policy, await this.person(userId));
  }

  async request(id: string): Promise<AccessRequest> {
    const request = await this.deps.store.requests.get(id);
    if (!request) throw new DomainError("REQUEST_NOT_FOUND", { id });
    return request;
  }

  profile(id: string): Profile | undefined {
    return findProfile(this.deps.policy, id);
  }

  /** Checks everything a person submitted, on the server: the modal's choices are only a convenience. */
  async check(
    userId: string,
    input: RequestInput & { profileId: string; extendsRequestId?: string; breakGlass?: boolean },
  ): Promise<{ profile?: Profile; extension?: AccessRequest; errors: FieldErrors }> {
    const profile = findProfile(this.deps.policy, input.profileId);
    if (!profile) return { errors: { profile: new DomainError("PROFILE_NOT_FOUND", { id: input.profileId }) } };
    if (!mayRequest(profile, await this.person(userId))) {
      return { profile, errors: { profile: new DomainError("NOT_A_REQUESTER", { profile: profile.id }) } };
    }
    const extension = input.extendsRequestId
      ? await extensionTarget(this.deps.store, input.extendsRequestId, userId, profile)
      : undefined;
    const errors = validateRequestInput(profile, input);
    if (input.breakGlass)
      Object.assign(errors, breakGlassRefusals(profile, input, input.extendsRequestId !== undefined));
    const provider = providerFor(this.deps.providers, profile);
    if (extension) {
      const refusal = await extensionRefusal(this.deps.store, extension, profile, input.durationSeconds ?? 0);
      if (refusal) errors.duration = refusal;
      if (!provider || !canExtend(provider)) errors.profile = new DomainError("EXTENSION_NOT_ALLOWED");
    }
    if (!errors.duration && provider && canCheckRequest(provider) && input.durationSeconds) {
      const refusal = provider.checkRequest(profile, input.durationSeconds);
      if (refusal) errors.duration = new DomainError("PROVIDER_FAILED", { reason: refusal });
    }
    return { profile, extension, errors };
  }

  /** Seconds the Extend form may still offer for `requestId`'s grant (extension.max and maxTotal). */
  extensionRoom(requestId: string, profile: Profile): Promise<number> {
    return extensionRoom(this.deps.store, requestId, profile);
  }

  /**
   * A request modal files once. Slack may resend a submission, and anyone holding a signed one can
   * replay it within five minutes: false means this view id and hash were already taken.
   */
  /** Whether this modal's submission was filed already; the claim itself is made with the request. */
  submitted(view: { id: string; hash: string }): Promise<boolean> {
    return this.deps.store.requests.viewSubmitted(view.id, view.hash);
  }

  async submit(
    userId: string,
    input: RequestInput & { profileId: string; extendsRequestId?: string; breakGlass?: boolean },
    view?: { id: string; hash: string },
  ): Promise<SubmitResult> {
    const { store, clock, directory, notifier } = this.deps;
    if (!this.deps.engine.isAccepting) throw new DomainError("SHUTTING_DOWN");
    const { profile, extension, errors } = await this.check(userId, input);
    if (!profile || Object.keys(errors).length > 0) return { ok: false, errors };
    const member = await directory.member(userId);
    if (!member.email) return { ok: false, errors: { profile: new DomainError("NO_EMAIL") } };
    const now = clock.now();
    const glass = input.breakGlass ? profile.breakGlass : undefined;
    const request = await store.requests.insertOnce(
      {
        id: newRequestId(),
        profileId: profile.id,
        requesterId: userId,
        requesterName: member.name,
        requesterEmail: member.email,
        durationSeconds: input.durationSeconds ?? profile.duration.default,
        justification: input.justification.trim(),
        ticket: input.ticket.trim() || undefined,
        createdAt: now,
        extendsRequestId: extension?.id,
        ...(glass && {
          breakGlass: {
            confirmBy: new Date(now.getTime() + glass.confirmWithin * 1000),
            confirmedBy: undefined,
            confirmedAt: undefined,
          },
        }),
      },
      view && { ...view, userId },
    );
    if (!request) return { ok: false, duplicate: true };
    if (request.breakGlass) return { ok: true, request: await grantBreakGlass(this.deps, request, profile) };
    if (extension && profile.extension?.autoApprove) {
      const approved = await store.requests.transition({
        id: request.id,
        from: "pending",
        event: "approve",
        at: clock.now(),
        actor: "jitbot",
        note: "extension auto-approved by policy",
      });
      await applyApproved(this.deps, approved, profile);
      return { ok: true, request: approved };
    }
    const onCall = this.deps.onCall;
    const decision = onCall && (await onCallDecision(onCall.lookup, profile, request));
    if (onCall && decision?.kind === "approve") {
      return { ok: true, request: await approveOnCall({ ...this.deps, onCall }, request, profile, decision.verdict) };
    }
    const posted = await notifier.requestSubmitted(request, profile);
    if (posted.receipt) await store.requests.setReceipt(request.id, posted.receipt.channel, posted.receipt.ts);
    if (posted.approval) {
      await store.requests.setApprovalMessage(request.id, posted.approval.channel, posted.approval.ts);
    }
    const stored = await store.requests.mustGet(request.id);
    // Withdrawn (or timed out) while the messages were being posted: the withdrawal found no ts to
    // update, so the messages would keep offering Approve and Withdraw for a closed request.
    if (stored.status !== "pending") await notifier.messagesCaughtUp(stored, profile);
    if (onCall && decision?.kind === "approvers" && decision.sentence) {
      await onCall.notifier.autoApprovalSkipped(stored, profile, decision.sentence, decision.inChannel);
    }
    return { ok: true, request: stored };
  }

  /** An approver's click. Refusals come back as DomainErrors for an ephemeral answer. */
  async decide(
    requestId: string,
    approverId: string,
    decision: "approve" | "deny",
    note?: string,
    /** The approval message clicked: known before its ts is stored when the click beats that write. */
    clicked?: { channel: string; ts: string },
    /** Set only by the step-up callback, once the approver's Entra sign-in verified (src/stepup/). */
    stepUp?: { verified: true },
  ): Promise<AccessRequest> {
    const { store, clock, notifier } = this.deps;
    const noteTooLong = note === undefined ? undefined : checkLength("denyReason", note);
    if (noteTooLong) throw noteTooLong;
    const request = await store.requests.get(requestId);
    if (!request) throw new DomainError("REQUEST_NOT_FOUND", { id: requestId });
    const profile = findProfile(this.deps.policy, request.profileId);
    if (!profile) throw new DomainError("PROFILE_NOT_FOUND", { id: request.profileId });
    const refusal = checkApprover(profile, request.requesterId, await this.person(approverId));
    if (refusal) throw refusal;
    if (decision === "approve" && profile.approval.stepUp && !stepUp?.verified)
      throw new DomainError("STEP_UP_REQUIRED");
    // A click on a message whose ts the replica that posted it has not stored yet (or never will,
    // if it stopped): the message clicked in the approval channel is that message, so it is updated.
    if (!request.approvalTs && clicked?.channel === profile.approval.channel) {
      await store.requests.setApprovalMessage(requestId, clicked.channel, clicked.ts);
    }
    const person = (id: string) => this.person(id);
    const outcome = await store.requests.decide({
      id: requestId,
      approverId,
      decision,
      required: profile.approval.required,
      satisfied: await bundleRule(store, person, request, profile, approverId),
      note,
      at: clock.now(),
    });
    if (outcome.kind === "recorded") {
      const settled = await settleBundle(store, person, request, profile, approverId, clock.now());
      if (settled) return this.approved(settled, profile);
      await notifier.approvalRecorded(outcome.request, profile, await store.requests.approvals(requestId));
      return outcome.request;
    }
    const approvals = await store.requests.approvals(requestId);
    await notifier.requestDecided(outcome.request, profile, approvals);
    if (outcome.kind === "approved") await applyApproved(this.deps, outcome.request, profile);
    return outcome.request;
  }

  private async approved(request: AccessRequest, profile: Profile): Promise<AccessRequest> {
    await this.deps.notifier.requestDecided(request, profile, await this.deps.store.requests.approvals(request.id));
    await applyApproved(this.deps, request, profile);
    return request;
  }

  /** An approver's Confirm on a break glass: see confirmBreakGlass. */
  async confirmBreakGlass(
    requestId: string,
    userId: string,
    clicked?: { channel: string; ts: string },
  ): Promise<AccessRequest> {
    return confirmBreakGlass(this.deps, requestId, await this.person(userId), (id) => this.profile(id), clicked);
  }

  /** The requester withdraws a request: see cancelRequest. */
  cancel(requestId: string, userId: string): Promise<EarlyEndAnswer> {
    return cancelRequest(this.deps, requestId, userId);
  }

  /** Ends a grant early, by its requester or an approver of its profile: see revokeGrant. */
  async revoke(requestId: string, userId: string): Promise<EarlyEndAnswer> {
    return revokeGrant(this.deps, requestId, await this.person(userId));
  }

  /** Fresh credentials for the requester's own active grant: see refreshGrant. */
  refresh(requestId: string, userId: string): Promise<void> {
    return refreshGrant(this.deps, requestId, userId);
  }

  /** Two queries whatever the count (it was one per active grant): `/jit list` answers in the ack. */
  async myAccess(userId: string): Promise<MyAccess> {
    const { store } = this.deps;
    const requests = await store.requests.listByRequester(userId, ["pending", "approved", "active"]);
    const grants = await store.grants.ofActiveRequests(userId);
    const pending = requests.filter((r) => r.status === "pending" || r.status === "approved");
    const active: MyAccess["active"] = [];
    for (const request of requests) {
      const grant = request.status === "active" ? grants.get(request.id) : undefined;
      if (grant) active.push({ request, grant });
    }
    return { pending, active };
  }

  /** Pending requests this person could decide on, and break glasses they could confirm (App Home). */
  async awaitingDecisionBy(userId: string): Promise<AccessRequest[]> {
    const person = await this.person(userId);
    const pending = await this.deps.store.requests.listByStatus("pending");
    const glass = await this.deps.store.breakGlass.unconfirmed();
    return [...glass, ...pending].filter((request) => {
      const profile = findProfile(this.deps.policy, request.profileId);
      return profile !== undefined && checkApprover(profile, request.requesterId, person) === undefined;
    });
  }
}
