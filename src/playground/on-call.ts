import type { Policy } from "../config/schema.js";
import type { Clock } from "../domain/clock.js";
import type { OnCallProvider } from "../oncall/config.js";
import { onCallSources } from "../oncall/env.js";
import { OnCallLookup, type OnCallSource } from "../oncall/index.js";
import type { OnCallAnswer } from "../oncall/types.js";

type Sample = NonNullable<NonNullable<Policy["playground"]>["onCall"]>[number];

/**
 * A made-up on-call service for the playground (`playground.onCall`), answering as the real clients
 * do: who is on call now for a schedule, or "no such schedule" as a 404 would. Nothing leaves the machine.
 */
export class SampleOnCall implements OnCallSource {
  constructor(
    readonly provider: OnCallProvider,
    private readonly schedules: Sample[],
  ) {}

  async onCallNow(scheduleId: string): Promise<OnCallAnswer> {
    const sample = this.schedules.find((s) => s.provider === this.provider && s.schedule === scheduleId);
    if (!sample) return { ok: false, failure: { code: "SCHEDULE_NOT_FOUND", scheduleId } };
    return {
      ok: true,
      value: { scheduleId, scheduleName: sample.name, emails: sample.onCall.map((e) => e.toLowerCase()) },
    };
  }
}

/**
 * The playground's lookups: a provider with sample schedules answers from them (the personas are
 * made up, so no real schedule could name them); any other uses its real key if one is set.
 */
export function playgroundOnCall(policy: Policy, env: NodeJS.ProcessEnv, clock: Clock): OnCallLookup {
  const samples = policy.playground?.onCall ?? [];
  const sources = onCallSources(env);
  for (const provider of new Set(samples.map((s) => s.provider)))
    sources[provider] = new SampleOnCall(provider, samples);
  return new OnCallLookup(sources, clock);
}
