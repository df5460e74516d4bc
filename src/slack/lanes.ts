/** The Web API methods that only tell people what already happened. */
const REPORTING_METHODS: ReadonlySet<string> = new Set([
  "chat.postMessage",
  "chat.update",
  "chat.delete",
  "views.publish",
]);

/** True for a Web API URL (`…/api/chat.update`) whose method only reports. */
export function isReportingCall(url: URL): boolean {
  return REPORTING_METHODS.has(url.pathname.slice(url.pathname.lastIndexOf("/") + 1));
}

/**
 * Work that yields to arriving Slack requests. Slack drops a request that is not acknowledged
 * within 3 s, and a person is waiting on a modal or an ephemeral answer; nobody is waiting on the
 * exact millisecond a grant starts or a DM lands. So while Slack requests keep arriving, at most
 * `limitWhileBusy` pieces of lane work run and the rest wait in order. Node answers one request at a
 * time and the next ones wait unread in the socket, so "busy" means a request is being answered or
 * one arrived in the last `quietMs`. Once Slack has been quiet that long, everything waiting starts.
 * A lone click never waits: the busy limit's slots are free for it.
 *
 * The bot has two lanes: the work a click starts after its ack (recording a decision, withdrawing,
 * revoking, filing a request; a grant then runs in the engine), and
 * the reporting Slack calls (`isReportingCall`) from anywhere. Modals, ephemeral replies and
 * directory lookups — which a person is waiting on — use neither.
 */
export class SlackLane {
  private answering = 0;
  private lastArrival = Number.NEGATIVE_INFINITY;
  private running = 0;
  private readonly waiting: (() => void)[] = [];
  private wake: NodeJS.Timeout | undefined;
  private readonly onSettled: (() => void)[] = [];

  private readonly limitWhileBusy: number;
  private readonly quietMs: number;
  private readonly now: () => number;
  private readonly onError: (error: unknown) => void;

  constructor(
    options: {
      /** Work that may run at once while requests keep arriving. */
      limitWhileBusy?: number;
      /** How long after the last request Slack counts as quiet. */
      quietMs?: number;
      now?: () => number;
      /** Where a failure that escaped `later()` work goes. */
      onError?: (error: unknown) => void;
    } = {},
  ) {
    this.limitWhileBusy = options.limitWhileBusy ?? 4;
    this.quietMs = options.quietMs ?? 20;
    this.now = options.now ?? (() => performance.now());
    this.onError = options.onError ?? (() => {});
  }

  /** A Slack request arrived; call `requestAnswered` when its HTTP answer is gone. */
  requestArrived(): void {
    this.answering++;
    this.lastArrival = this.now();
  }

  requestAnswered(): void {
    this.answering = Math.max(0, this.answering - 1);
    if (this.answering === 0) this.drain();
  }

  /** How much work waits for a slot (a gauge for /metrics). */
  get queued(): number {
    return this.waiting.length;
  }

  /**
   * Queues `work` and returns at once, so the caller (a Bolt listener that has acked) lets go of the
   * request it came with: waiting work holds only what its closure names. `work` reports its own
   * failures (see `guarded`); anything that still escapes goes to `onError`, never unhandled.
   */
  later(work: () => Promise<void>): void {
    this.run(work).catch(this.onError);
  }

  /** Runs `work` once there is a slot, holding the slot until it settles. */
  async run<T>(work: () => Promise<T>): Promise<T> {
    const release = await this.acquire();
    try {
      return await work();
    } finally {
      release();
    }
  }

  /** Resolves once nothing runs or waits (shutdown), or after `timeoutMs`, whichever is first. */
  settled(timeoutMs: number): Promise<void> {
    if (this.running === 0 && this.waiting.length === 0) return Promise.resolve();
    return new Promise((resolve) => {
      const timer = setTimeout(resolve, timeoutMs);
      this.onSettled.push(() => {
        clearTimeout(timer);
        resolve();
      });
    });
  }

  /** Resolves with a release function once the caller may start. */
  acquire(): Promise<() => void> {
    if (this.waiting.length === 0 && this.mayStart()) return Promise.resolve(this.start());
    return new Promise((resolve) => {
      this.waiting.push(() => resolve(this.start()));
      this.drain();
    });
  }

  private mayStart(): boolean {
    return this.running < this.limitWhileBusy || !this.busy();
  }

  private busy(): boolean {
    return this.answering > 0 || this.now() - this.lastArrival < this.quietMs;
  }

  private start(): () => void {
    this.running++;
    let released = false;
    return () => {
      if (released) return;
      released = true;
      this.running--;
      this.drain();
    };
  }

  private drain(): void {
    while (this.waiting.length > 0 && this.mayStart()) this.waiting.shift()?.();
    if (this.running === 0 && this.waiting.length === 0) for (const settle of this.onSettled.splice(0)) settle();
    // Still blocked by recent requests: look again when Slack has been quiet for quietMs.
    if (this.waiting.length > 0 && this.answering === 0 && !this.wake) {
      const delay = Math.max(1, this.quietMs - (this.now() - this.lastArrival));
      this.wake = setTimeout(() => {
        this.wake = undefined;
        this.drain();
      }, delay);
      this.wake.unref();
    }
  }
}
