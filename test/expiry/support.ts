import { join } from "node:path";
import type { GrantType, Profile } from "../../src/config/schema.js";
import { ManualClock } from "../../src/domain/clock.js";
import { ProviderError } from "../../src/grants/errors.js";
import type {
  ActiveGrant,
  ExtendOutcome,
  GrantOutcome,
  GrantProvider,
  GrantRequest,
  MemberLister,
  RevokeOutcome,
} from "../../src/grants/provider.js";
import { dryRunProviders } from "../../src/grants/registry.js";
import type { PostedMessage } from "../../src/playground/slack-web-api.js";
import { type TestBot, waitFor } from "../support/bot.js";
import { fileRequest } from "../support/flow.js";
import { tempDir } from "../support/temp.js";

/** A door a test opens: a provider call waits on it, so the test can look while it is "in the cloud". */
export class Gate {
  private release: (() => void) | undefined;
  private readonly opened: Promise<void>;
  entered = 0;

  constructor() {
    this.opened = new Promise<void>((resolve) => {
      this.release = resolve;
    });
  }

  async pass(): Promise<void> {
    this.entered++;
    await this.opened;
  }

  open(): void {
    this.release?.();
  }
}

type Member = { id: string; displayName: string; userPrincipalName?: string };

/**
 * A provider a test can script: fail, throttle, hang at a gate, count calls per grant, list
 * members for the drift report. Granting and revoking are idempotent, as the port demands.
 */
export class FakeProvider implements GrantProvider, MemberLister {
  readonly grantCalls = new Map<string, number>();
  /** Revocations the provider confirmed, per grant. */
  readonly revoked = new Map<string, number>();
  revokeAttempts = 0;
  readonly granted = new Set<string>();
  /** Throw this from revoke (or return undefined to succeed). */
  revokeFailure: (grant: ActiveGrant) => Error | undefined = () => undefined;
  grantFailure: (request: GrantRequest) => Error | undefined = () => undefined;
  /** Throw this from extend (or return undefined to move the end). */
  extendFailure: (grant: ActiveGrant) => Error | undefined = () => undefined;
  /** Each extension the provider applied: grant and the new end. */
  readonly extended: { requestId: string; expiresAt: Date }[] = [];
  grantGate: Gate | undefined;
  revokeGate: Gate | undefined;
  extendGate: Gate | undefined;
  /** When the cloud itself ends the access, relative to the grant's own end. */
  providerExpiryOffsetMs: number | undefined;
  members: (profile: Profile) => Member[] = () => [];
  withSecret = true;

  constructor(readonly type: GrantType) {}

  async grant(request: GrantRequest): Promise<GrantOutcome> {
    this.grantCalls.set(request.requestId, (this.grantCalls.get(request.requestId) ?? 0) + 1);
    await this.grantGate?.pass();
    const failure = this.grantFailure(request);
    if (failure) throw failure;
    this.granted.add(request.requestId);
    const offset = this.providerExpiryOffsetMs;
    return {
      state: { userId: `entra-${request.subject.slackUserId}` },
      instructions: {
        summary: `fake ${this.type} grant`,
        sections: [
          ...(this.withSecret ? [{ heading: "Keys", code: "export SECRET=FAKE-SECRET-123", secret: true }] : []),
          { heading: "Connect", code: "kubectl get pods" },
        ],
        notes: [],
      },
      providerExpiresAt: offset === undefined ? undefined : new Date(request.expiresAt.getTime() + offset),
    };
  }

  async revoke(grant: ActiveGrant): Promise<RevokeOutcome> {
    this.revokeAttempts++;
    await this.revokeGate?.pass();
    const failure = this.revokeFailure(grant);
    if (failure) throw failure;
    this.granted.delete(grant.requestId);
    this.revoked.set(grant.requestId, (this.revoked.get(grant.requestId) ?? 0) + 1);
    return { detail: `fake: removed ${grant.subject.email}` };
  }

  async extend(grant: ActiveGrant, expiresAt: Date): Promise<ExtendOutcome> {
    await this.extendGate?.pass();
    const failure = this.extendFailure(grant);
    if (failure) throw failure;
    this.extended.push({ requestId: grant.requestId, expiresAt });
    return { state: grant.state, detail: `fake: now ends at ${expiresAt.toISOString()}` };
  }

  async listMembers(profile: Profile): Promise<Member[]> {
    return this.members(profile);
  }
}

/** Dry-run providers everywhere except `fake`'s grant type. */
export function registryWith(fake: FakeProvider) {
  const providers = dryRunProviders();
  providers.set(fake.type, fake);
  return providers;
}

export const unavailable = () => new ProviderError("UNAVAILABLE", "The fake cloud is down; jitbot keeps retrying.");

/** A database file that outlives one bot, so a second bot can start on it. */
export function sharedDbFile(): { file: string; cleanup: () => void } {
  const dir = tempDir();
  return { file: join(dir.dir, "jitbot.db"), cleanup: dir.cleanup };
}

export function clockAt(iso = "2026-03-02T09:00:00.000Z"): ManualClock {
  return new ManualClock(iso);
}

export { fileRequest };

/** Files and approves; resolves once the grant is active and its DM was sent. */
export async function activeGrant(t: TestBot, profileId: string, durationSeconds: number) {
  const filed = await fileRequest(t, profileId, durationSeconds);
  await t.driver.click("U0LEAD", filed.approval, "jit_approve");
  await waitFor(
    async () => (await t.store.requests.mustGet(filed.id)).status === "active",
    `${filed.id} to become active`,
  );
  await t.settle();
  await waitFor(async () => (await t.store.grants.get(filed.id))?.dmTs, "the credential DM");
  return filed;
}

/**
 * Moves the injected clock in steps, letting the work each step starts (sweeps, Slack calls over
 * real HTTP to the fake) finish before the next: the timer, not a cron, does the revoking.
 */
export async function tick(t: TestBot, totalMs: number, stepMs = 1_000): Promise<void> {
  for (let done = 0; done < totalMs; ) {
    const step = Math.min(stepMs, totalMs - done);
    await t.clock.advance(step);
    await t.settle();
    done += step;
  }
  await t.clock.advance(0);
  await t.settle();
}

export function approvalNow(t: TestBot, approval: PostedMessage): PostedMessage {
  return t.slack.messagesIn(approval.channel).find((m) => m.ts === approval.ts) ?? approval;
}

export async function auditActions(t: TestBot, requestId: string): Promise<string[]> {
  await t.store.linkAudits(); // what other writes committed and are still linking (PostgreSQL)
  const rows = await t.store.kysely
    .selectFrom("audit_events")
    .select("action")
    .where("request_id", "=", requestId)
    .orderBy("seq")
    .execute();
  return rows.map((r) => r.action);
}
