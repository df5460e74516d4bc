import type { Policy, Profile } from "../config/schema.js";
import type { Clock } from "../domain/clock.js";
import { DomainError, isDomainError } from "../domain/errors.js";
import { domainMessage, newCorrelationId } from "../domain/messages.js";
import { checkApprover, findProfile } from "../domain/policy.js";
import { entraEmailFor } from "../grants/entra/identity.js";
import type { AccessService } from "../service/access-service.js";
import type { Directory, Logger } from "../service/ports.js";
import type { PendingStepUp, Store } from "../store/index.js";
import { isWellFormedState, newState } from "./derive.js";
import type { EntraUserIds } from "./entra-users.js";
import { accountRefusal, signedInMismatch } from "./match.js";
import { OidcSignIn } from "./oidc.js";
import { EXPIRED, page, type StepUpPage, UNKNOWN, USED } from "./pages.js";
import { STEP_UP_START_PATH, type StepUpSettings } from "./settings.js";

/** How long an approver has to finish signing in after clicking Approve. */
export const STEP_UP_WINDOW_MS = 5 * 60_000;

export interface StepUpDeps {
  store: Store;
  policy: Policy;
  service: AccessService;
  directory: Directory;
  clock: Clock;
  logger: Logger;
  /** Undefined when the environment lacks what step-up needs; the bot refuses to start then (src/run.ts). */
  settings: StepUpSettings | undefined;
}

/** Where the browser goes next: a sign-in page elsewhere, or a page of ours saying what happened. */
export type StepUpAnswer = { redirect: string } | StepUpPage;

/**
 * Approver step-up (approval.stepUp): Approve on such a profile answers with a private sign-in link
 * instead of recording the approval; the approval is recorded through AccessService.decide, with
 * every rule of the profile, once the approver has signed in with Entra ID as themselves.
 */
export class StepUpService {
  private readonly signIn: OidcSignIn | undefined;
  private readonly userIds: EntraUserIds;
  private readonly anyProfile: boolean;

  constructor(private readonly deps: StepUpDeps) {
    this.signIn = deps.settings && new OidcSignIn(deps.settings, deps.clock);
    this.userIds = deps.settings?.userIds ?? (async () => undefined);
    this.anyProfile = deps.policy.profiles.some((p) => p.approval.stepUp !== undefined);
  }

  /**
   * An Approve click. Undefined when the profile has no step-up (record the approval as usual);
   * else the ephemeral text with the sign-in link. Refuses, as DomainErrors, what the approval
   * itself would refuse, so nobody signs in for nothing.
   */
  async offer(
    requestId: string,
    approverId: string,
    clicked: { channel: string; ts: string } | undefined,
  ): Promise<string | undefined> {
    // Without a step-up profile an Approve costs no extra read.
    if (!this.anyProfile) return undefined;
    const { store, service, clock } = this.deps;
    const request = await service.request(requestId);
    const profile = service.profile(request.profileId);
    if (!profile) throw new DomainError("PROFILE_NOT_FOUND", { id: request.profileId });
    if (!profile.approval.stepUp) return undefined;
    const refusal = checkApprover(profile, request.requesterId, await service.person(approverId));
    if (refusal) throw refusal;
    if (request.status !== "pending") throw new DomainError("ALREADY_DECIDED", { status: request.status });
    const approvals = await store.requests.approvals(requestId);
    if (approvals.some((a) => a.approverId === approverId)) throw new DomainError("ALREADY_DECIDED_BY_YOU");
    if (!this.deps.settings) throw new DomainError("STEP_UP_UNAVAILABLE");
    const state = newState();
    const now = clock.now();
    await store.stepUps.create({
      state,
      requestId,
      approverId,
      clicked,
      createdAt: now,
      expiresAt: new Date(now.getTime() + STEP_UP_WINDOW_MS),
    });
    await store.audit({ at: now, actor: approverId, action: "approval.step_up_offered", requestId, detail: {} });
    const link = this.link(this.deps.settings.publicUrl, state);
    return `*Confirm it's you* before your approval of ${requestId} counts: <${link}|sign in with Entra ID> within 5 minutes. The link is yours alone and works once.`;
  }

  /** GET /stepup/start: sends the browser to Entra's sign-in page for a pending step-up. */
  start(state: string | null): Promise<StepUpAnswer> {
    return this.safely(state, () => this.startSignIn(state));
  }

  /**
   * GET /stepup/callback: takes the state once (a second use, on any replica, finds it used),
   * verifies the sign-in, matches it to the approver, and only then records the approval.
   */
  finish(query: URLSearchParams): Promise<StepUpPage> {
    return this.safely(query.get("state"), () => this.finishSignIn(query));
  }

  /** A page whatever fails (the database, Slack): the browser learns a reference, the log the cause. */
  private async safely<T extends StepUpAnswer>(state: string | null, work: () => Promise<T>): Promise<T | StepUpPage> {
    try {
      return await work();
    } catch (error) {
      const correlationId = newCorrelationId();
      this.deps.logger.error(
        {
          correlationId,
          state: isWellFormedState(state) ? `${state.slice(0, 6)}…` : "-",
          err: error instanceof Error ? error.message : String(error),
        },
        "step-up page failed",
      );
      return page(
        500,
        "Something went wrong",
        `jitbot could not finish this step (reference ${correlationId}); click Approve in Slack to try again.`,
      );
    }
  }

  private async startSignIn(state: string | null): Promise<StepUpAnswer> {
    if (!isWellFormedState(state) || !this.signIn) return UNKNOWN;
    const stepUp = await this.deps.store.stepUps.get(state);
    if (!stepUp) return UNKNOWN;
    if (stepUp.usedAt) return USED;
    if (stepUp.expiresAt.getTime() <= this.deps.clock.now().getTime()) return EXPIRED;
    const found = await this.profileOf(stepUp);
    if ("status" in found) return found;
    const email = (await this.deps.directory.member(stepUp.approverId)).email;
    // Entra out of reach (discovery) is logged by safely() and answered with a reference.
    const url = await this.signIn.authorizationUrl(state, {
      loginHint: email && entraEmailFor(email, found.profile, this.deps.policy),
      authenticationContext: found.profile.approval.stepUp?.authenticationContext,
    });
    return { redirect: url.href };
  }

  private async finishSignIn(query: URLSearchParams): Promise<StepUpPage> {
    const state = query.get("state");
    if (!isWellFormedState(state) || !this.signIn) return UNKNOWN;
    const claim = await this.deps.store.stepUps.claim(state, this.deps.clock.now());
    if (claim.kind === "unknown") return UNKNOWN;
    if (claim.kind === "used") return USED;
    if (claim.kind === "expired") return EXPIRED;
    const { stepUp } = claim;
    const found = await this.profileOf(stepUp);
    if ("status" in found) return found;
    const { profile } = found;
    const outcome = await this.signIn.complete(query, state, profile.approval.stepUp?.authenticationContext);
    if (!outcome.ok) {
      await this.refused(stepUp, outcome.why);
      if (outcome.kind === "unavailable") {
        return page(
          502,
          "Entra ID unavailable",
          `${capitalize(outcome.why)}, so your approval was not recorded; click Approve in Slack to try again.`,
        );
      }
      return page(403, "Sign-in not accepted", `${capitalize(outcome.why)}, so your approval was not recorded.`);
    }
    const email = (await this.deps.directory.member(stepUp.approverId)).email;
    const signedInAs = outcome.signedIn.names[0] ?? "";
    const mismatch = signedInMismatch(email, profile, this.deps.policy, outcome.signedIn);
    if (mismatch || !email) {
      await this.refused(stepUp, "signed in as someone else", { signedInAs });
      return page(403, "Wrong account", mismatch ?? "");
    }
    const account = await accountRefusal(this.userIds, email, profile, outcome.signedIn);
    if (account?.kind === "unavailable") {
      this.deps.logger.warn(
        { requestId: stepUp.requestId, err: String(account.error) },
        "step-up: Entra lookup failed",
      );
      await this.refused(stepUp, "Entra could not be asked who the approver is");
      return page(502, "Entra ID unavailable", account.sentence);
    }
    if (account) {
      await this.refused(stepUp, "signed in as another account", { signedInAs, oid: outcome.signedIn.oid ?? "" });
      return page(403, "Wrong account", account.sentence);
    }
    await this.deps.store.audit({
      at: this.deps.clock.now(),
      actor: stepUp.approverId,
      action: "approval.step_up_verified",
      requestId: stepUp.requestId,
      detail: {
        signedInAs: outcome.signedIn.names[0] ?? "",
        oid: outcome.signedIn.oid ?? "",
        acrs: outcome.signedIn.acrs,
      },
    });
    try {
      const request = await this.deps.service.decide(
        stepUp.requestId,
        stepUp.approverId,
        "approve",
        undefined,
        stepUp.clicked,
        { verified: true },
      );
      const sentence =
        request.status === "pending"
          ? `Your approval of ${request.id} is recorded; it still waits for the other approvals its profile needs.`
          : `Your approval of ${request.id} is recorded; you can close this page.`;
      return page(200, "Approved", sentence);
    } catch (error) {
      if (!isDomainError(error)) throw error;
      return page(409, "Not recorded", `You signed in, but your approval was not recorded: ${domainMessage(error)}`);
    }
  }

  private link(publicUrl: URL, state: string): string {
    const url = new URL(`${publicUrl.pathname.replace(/\/+$/, "")}${STEP_UP_START_PATH}`, publicUrl);
    url.searchParams.set("state", state);
    return url.href;
  }

  private async profileOf(stepUp: PendingStepUp): Promise<{ profile: Profile } | StepUpPage> {
    const request = await this.deps.store.requests.get(stepUp.requestId);
    const profile = request && findProfile(this.deps.policy, request.profileId);
    if (!profile?.approval.stepUp) {
      return page(
        409,
        "Not recorded",
        "The request behind this link no longer asks for a sign-in (its profile changed); click Approve in Slack again.",
      );
    }
    return { profile };
  }

  private async refused(stepUp: PendingStepUp, why: string, extra: Record<string, string> = {}): Promise<void> {
    this.deps.logger.info(
      { requestId: stepUp.requestId, approverId: stepUp.approverId, why },
      "step-up sign-in refused",
    );
    await this.deps.store.audit({
      at: this.deps.clock.now(),
      actor: stepUp.approverId,
      action: "approval.step_up_refused",
      requestId: stepUp.requestId,
      detail: { why, ...extra },
    });
  }
}

function capitalize(text: string): string {
  return text.charAt(0).toUpperCase() + text.slice(1);
}
