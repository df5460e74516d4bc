import type { Clock } from "../domain/clock.js";
import type { Logger } from "../service/ports.js";
import { type AutoApproveOnCall, KEY_VARIABLE, type OnCallProvider } from "./config.js";
import { DeadlinePassed } from "./http.js";
import type { OnCallAnswer, OnCallFailure, OnCallNow, OnCallSource } from "./types.js";

/** What the on-call services said about one requester and one profile's schedules. */
export type OnCallVerdict =
  | { kind: "on_call"; provider: OnCallProvider; scheduleId: string; scheduleName: string }
  | { kind: "not_on_call"; provider: OnCallProvider }
  | { kind: "unavailable"; provider: OnCallProvider; failure: OnCallFailure };

export interface OnCallLookupOptions {
  /** One deadline for the whole lookup (every schedule, every page): a request never waits longer. */
  timeoutMs?: number;
  /** How long a schedule's answer is reused: on-call shifts change by the hour, requests by the second. */
  cacheMs?: number;
  /** Where failures are reported for operators (a revoked key shows here before anyone asks why). */
  logger?: Logger;
}

/**
 * Asks PagerDuty or Opsgenie whether a requester is on call now for one of a profile's schedules.
 * Never throws and never waits past its deadline: a service that is down, slow, refuses the key or
 * rate-limits answers `unavailable`, and the request goes to approvers as usual.
 */
export class OnCallLookup {
  private readonly cache = new Map<string, { until: number; value: OnCallNow }>();
  private readonly inFlight = new Map<string, Promise<OnCallAnswer>>();
  /** A service that said 429 is not asked again until its own "retry in" has passed. */
  private readonly quietUntil = new Map<OnCallProvider, { until: number; failure: OnCallFailure }>();
  private readonly timeoutMs: number;
  private readonly cacheMs: number;
  private readonly logger: Logger | undefined;
  private readonly observers = new Set<(verdict: OnCallVerdict) => void>();

  constructor(
    private readonly sources: Partial<Record<OnCallProvider, OnCallSource>>,
    private readonly clock: Clock,
    options: OnCallLookupOptions = {},
  ) {
    this.timeoutMs = options.timeoutMs ?? 2_000;
    this.cacheMs = options.cacheMs ?? 60_000;
    this.logger = options.logger;
  }

  /** Called with every verdict (for /metrics); returns the call that stops it. */
  observe(listener: (verdict: OnCallVerdict) => void): () => void {
    this.observers.add(listener);
    return () => this.observers.delete(listener);
  }

  async check(setting: AutoApproveOnCall, email: string): Promise<OnCallVerdict> {
    const verdict = await this.decide(setting, email);
    for (const observer of this.observers) {
      try {
        observer(verdict);
      } catch {
        // Counting a lookup must never change its answer.
      }
    }
    return verdict;
  }

  private async decide(setting: AutoApproveOnCall, email: string): Promise<OnCallVerdict> {
    const { provider } = setting;
    const source = this.sources[provider];
    if (!source)
      return { kind: "unavailable", provider, failure: { code: "NOT_CONFIGURED", variable: KEY_VARIABLE[provider] } };
    const wanted = email.trim().toLowerCase();
    const controller = new AbortController();
    const deadline = this.clock.setTimer(() => controller.abort(new DeadlinePassed(this.timeoutMs)), this.timeoutMs);
    try {
      const answers = await Promise.all(setting.schedules.map((id) => this.schedule(source, id, controller.signal)));
      let failure: OnCallFailure | undefined;
      for (const answer of answers) {
        if (!answer.ok) {
          failure ??= answer.failure;
          continue;
        }
        if (answer.value.emails.includes(wanted)) {
          const { scheduleId, scheduleName } = answer.value;
          return { kind: "on_call", provider, scheduleId, scheduleName };
        }
      }
      // One schedule that could not be read might have named the requester: that is no "no".
      return failure ? { kind: "unavailable", provider, failure } : { kind: "not_on_call", provider };
    } finally {
      deadline.cancel();
    }
  }

  private async schedule(source: OnCallSource, scheduleId: string, signal: AbortSignal): Promise<OnCallAnswer> {
    const key = `${source.provider}:${scheduleId}`;
    const now = this.clock.now().getTime();
    const cached = this.cache.get(key);
    if (cached && cached.until > now) return { ok: true, value: cached.value };
    const quiet = this.quietUntil.get(source.provider);
    if (quiet && quiet.until > now) return { ok: false, failure: quiet.failure };
    const running = this.inFlight.get(key);
    if (running) return running;
    const asked = this.ask(source, scheduleId, signal, key).finally(() => this.inFlight.delete(key));
    this.inFlight.set(key, asked);
    return asked;
  }

  private async ask(source: OnCallSource, scheduleId: string, signal: AbortSignal, key: string): Promise<OnCallAnswer> {
    let answer: OnCallAnswer;
    try {
      answer = await source.onCallNow(scheduleId, signal);
    } catch {
      // Sources return failures as values; one that throws anyway is still only "unavailable".
      answer = { ok: false, failure: { code: "UNREACHABLE" } };
    }
    const at = this.clock.now().getTime();
    if (!answer.ok) {
      // The failure's code and numbers only: never a key, never a response body.
      this.logger?.warn(
        { provider: source.provider, schedule: scheduleId, failure: answer.failure },
        "on-call lookup failed; the request goes to approvers",
      );
    }
    if (answer.ok) this.cache.set(key, { until: at + this.cacheMs, value: answer.value });
    else if (answer.failure.code === "RATE_LIMITED") {
      const wait = (answer.failure.retryAfterSeconds ?? 60) * 1000;
      this.quietUntil.set(source.provider, { until: at + wait, failure: answer.failure });
    }
    return answer;
  }
}

export type { OnCallFailure, OnCallNow, OnCallSource } from "./types.js";
export { failureSentence } from "./types.js";
