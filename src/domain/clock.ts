/** Time is injected so tests move it instead of sleeping. */
export interface TimerHandle {
  cancel(): void;
}

export interface Clock {
  now(): Date;
  /** Calls `callback` once after `delayMs` of this clock's time. */
  setTimer(callback: () => void, delayMs: number): TimerHandle;
}

export const systemClock: Clock = {
  now: () => new Date(),
  setTimer(callback, delayMs) {
    // Node caps timers at ~24.8 days; longer waits re-arm in steps.
    const max = 2_147_000_000;
    let handle: NodeJS.Timeout;
    const arm = (remaining: number) => {
      handle = setTimeout(
        () => (remaining > max ? arm(remaining - max) : callback()),
        Math.min(Math.max(remaining, 0), max),
      );
      handle.unref?.();
    };
    arm(delayMs);
    return { cancel: () => clearTimeout(handle) };
  },
};

/** A clock for tests and the benchmark: time only moves when told to. */
export class ManualClock implements Clock {
  private current: number;
  private timers: { at: number; seq: number; callback: () => void; cancelled: boolean }[] = [];
  private seq = 0;

  constructor(start: Date | string = "2026-01-05T09:00:00Z") {
    this.current = new Date(start).getTime();
  }

  now(): Date {
    return new Date(this.current);
  }

  setTimer(callback: () => void, delayMs: number): TimerHandle {
    const timer = { at: this.current + Math.max(delayMs, 0), seq: this.seq++, callback, cancelled: false };
    this.timers.push(timer);
    return {
      cancel: () => {
        timer.cancelled = true;
      },
    };
  }

  /** Moves time forward, firing due timers in order; awaits what they start between steps. */
  async advance(ms: number): Promise<void> {
    const target = this.current + ms;
    for (;;) {
      const due = this.timers
        .filter((t) => !t.cancelled && t.at <= target)
        .sort((a, b) => a.at - b.at || a.seq - b.seq)[0];
      if (!due) break;
      this.current = Math.max(this.current, due.at);
      due.cancelled = true;
      due.callback();
      await flushAsyncWork();
    }
    this.timers = this.timers.filter((t) => !t.cancelled);
    this.current = target;
    await flushAsyncWork();
  }

  pendingTimers(): number {
    return this.timers.filter((t) => !t.cancelled).length;
  }
}

async function flushAsyncWork(): Promise<void> {
  for (let i = 0; i < 20; i++) await new Promise<void>((resolve) => setImmediate(resolve));
}
