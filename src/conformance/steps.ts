import type { Profile } from "../config/schema.js";
import type { Clock } from "../domain/clock.js";
import { newRequestId } from "../domain/ids.js";
import { isProviderError } from "../grants/errors.js";
import {
  type ActiveGrant,
  type GrantOutcome,
  type GrantProvider,
  type RevokeReader,
  ROLLBACK_STATE,
} from "../grants/provider.js";
import { readBackUntil } from "../grants/read-back.js";

/**
 * How long a conformance run waits for the cloud to show a change: about two minutes in all. Entra
 * usually shows a membership change in seconds; longer is worth knowing, and the table says so.
 */
/** PIM for Groups: an assignment cannot be removed in its first five minutes (plus a second of slack). */
const PIM_REMOVAL_FLOOR_MS = 5 * 60_000 + 1_000;

export const CONFORMANCE_READ_DELAYS_MS: readonly number[] = [1, 2, 4, 8, 15, 30, 30, 30].map((s) => s * 1000);

export interface StepRow {
  step: string;
  passed: boolean;
  /** Clock time the step took, waits for the cloud included. */
  ms: number;
  detail: string;
  /** What to do about a ✗. */
  fix?: string;
}

export interface CanaryRun {
  profile: Profile;
  provider: GrantProvider & RevokeReader;
  email: string;
  durationSeconds: number;
  clock: Clock;
  delaysMs?: readonly number[];
}

function sentence(error: unknown): string {
  if (isProviderError(error)) return error.userMessage;
  return error instanceof Error ? error.message : String(error);
}

/** Work timed on the run's clock; a throw becomes the failure sentence. */
async function timed<T>(
  clock: Clock,
  work: () => Promise<T>,
): Promise<{ ms: number } & ({ value: T } | { error: string })> {
  const started = clock.now().getTime();
  try {
    const value = await work();
    return { ms: clock.now().getTime() - started, value };
  } catch (error) {
    return { ms: clock.now().getTime() - started, error: sentence(error) };
  }
}

const seconds = (ms: number) => `${(ms / 1000).toFixed(1)} s`;

/** A grant made by jitbot onto access the person already held proves nothing about the revoke. */
function standingAccess(outcome: GrantOutcome): string | undefined {
  if (outcome.state.standingMember === true) return "was already a member of the group before the run";
  if (outcome.state.createdEntry === false) return "already had an access entry before the run";
  return undefined;
}

/**
 * grant → read-back → revoke → read-back, each timed. The revoke is always attempted, even when the
 * grant failed half-way (with the roll-back state, which removes whatever the grant may have left)
 * or a read-back failed: a conformance run must not leave access behind.
 */
export async function runCanary(run: CanaryRun): Promise<StepRow[]> {
  const { provider, clock, profile } = run;
  const delays = run.delaysMs ?? CONFORMANCE_READ_DELAYS_MS;
  const startsAt = clock.now();
  const request = {
    requestId: newRequestId(),
    profile,
    subject: { slackUserId: "jitbot-conformance", email: run.email, name: run.email },
    durationSeconds: run.durationSeconds,
    startsAt,
    expiresAt: new Date(startsAt.getTime() + run.durationSeconds * 1000),
    justification: "jitbot conformance run: grant, read back, revoke, read back",
  };
  const rows: StepRow[] = [];
  const granted = await timed(clock, () => provider.grant(request));
  const outcome = "value" in granted ? granted.value : undefined;
  rows.push(
    "value" in granted
      ? { step: "grant", passed: true, ms: granted.ms, detail: granted.value.instructions.summary }
      : {
          step: "grant",
          passed: false,
          ms: granted.ms,
          detail: granted.error,
          fix: "fix what the sentence names (jitbot doctor checks permissions)",
        },
  );
  const grant: ActiveGrant = {
    requestId: request.requestId,
    profile,
    subject: request.subject,
    expiresAt: request.expiresAt,
    state: outcome?.state ?? ROLLBACK_STATE,
    ...(outcome?.providerExpiresAt ? { providerExpiresAt: outcome.providerExpiresAt } : {}),
  };

  if (outcome) {
    const standing = standingAccess(outcome);
    if (standing) {
      rows.push({
        step: "canary without standing access",
        passed: false,
        ms: 0,
        detail: `${run.email} ${standing}, so jitbot leaves it in place and the run proves nothing`,
        fix: "run it again with --user of someone who does not hold this access",
      });
    }
    const shown = await timed(clock, () => readBackUntil(provider, grant, "present", clock, delays));
    if ("error" in shown) {
      rows.push({
        step: "read-back after grant",
        passed: false,
        ms: shown.ms,
        detail: shown.error,
        fix: "fix what the sentence names; the revoke was still attempted",
      });
    } else {
      // Issued AWS keys without a deny policy are present too, only out of jitbot's reach.
      const seen = shown.value.agreed || shown.value.status === "unrecallable";
      rows.push({
        step: "read-back after grant",
        passed: seen,
        ms: shown.ms,
        detail: seen
          ? `${shown.value.detail}; shown after ${seconds(shown.value.elapsedMs)} (${shown.value.reads} read${shown.value.reads === 1 ? "" : "s"})`
          : `the grant did not show within ${seconds(shown.value.elapsedMs)}: ${shown.value.detail}`,
        ...(seen
          ? {}
          : { fix: "the provider said yes but the cloud does not show it: check the profile's grant settings" }),
      });
    }
  }

  // PIM refuses to remove an assignment within five minutes of making it (groups-assign-member-owner):
  // a real tenant would refuse this revoke, so the run waits that out and says so in the table.
  if (profile.grant.type === "entra-pim-group") {
    const removableAt = startsAt.getTime() + PIM_REMOVAL_FLOOR_MS;
    const waitMs = removableAt - clock.now().getTime();
    if (waitMs > 0) await new Promise<void>((resolve) => clock.setTimer(resolve, waitMs));
  }
  const revoked = await timed(clock, () => provider.revoke(grant));
  rows.push(
    "value" in revoked
      ? { step: "revoke", passed: true, ms: revoked.ms, detail: revoked.value.detail }
      : {
          step: "revoke",
          passed: false,
          ms: revoked.ms,
          detail: revoked.error,
          fix: "remove the access by hand, then fix what the sentence names",
        },
  );
  rows.push(await readBackAfterRevoke(provider, grant, clock, delays));
  return rows;
}

async function readBackAfterRevoke(
  provider: RevokeReader,
  grant: ActiveGrant,
  clock: Clock,
  delays: readonly number[],
): Promise<StepRow> {
  const step = "read-back after revoke";
  const gone = await timed(clock, () => readBackUntil(provider, grant, "gone", clock, delays));
  if ("error" in gone) {
    return {
      step,
      passed: false,
      ms: gone.ms,
      detail: gone.error,
      fix: "check by hand that the access is gone, then fix what the sentence names",
    };
  }
  const { status, detail, elapsedMs, reads } = gone.value;
  if (status === "gone") {
    return {
      step,
      passed: true,
      ms: gone.ms,
      detail: `${detail}; gone after ${seconds(elapsedMs)} (${reads} read${reads === 1 ? "" : "s"})`,
    };
  }
  if (status === "unrecallable") {
    return {
      step,
      passed: false,
      ms: gone.ms,
      detail,
      fix: "set grant.revokeSessions: true on the profile so that an early revoke denies the issued keys",
    };
  }
  return {
    step,
    passed: false,
    ms: gone.ms,
    detail: `still there ${seconds(elapsedMs)} after the revoke: ${detail}`,
    fix: "remove the access by hand; the cloud acknowledged the removal but does not show it",
  };
}
