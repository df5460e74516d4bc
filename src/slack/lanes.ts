/**
 * Slack drops a request that is not acknowledged within 3 s, and a person is waiting on a modal or
 * an ephemeral answer; nobody is waiting on the exact millisecond a DM or a message update lands.
 * So while Slack requests keep arriving, the Slack calls that only *report* (messages, message
 * updates, App Home) yield: at most `limitWhileBusy` of them are in flight, the rest wait in order.
 * Node answers one request at a time and the next ones wait unread in the socket, so "busy" means
 * a request is being answered or one arrived in the last `quietMs`. Once Slack has been quiet that
 * long, everything waiting goes out (the WebClient's own concurrency cap still applies). A lone
 * click never waits: `limitWhileBusy` slots are always free for it. Calls a person waits on —
 * modals, ephemeral replies, directory lookups — never pass through here.
 */
export class ReportingLane {
  private answering = 0;
  private lastArrival = Number.NEGATIVE_INFINITY;
  private running = 0;
  private readonly waiting: (() => void)[] = [];
  private wake: NodeJS.Timeout | undefined;

  constructor(
    private readonly limitWhileBusy = 4,
    private readonly quietMs = 20,
    private readonly now: () => number = () => performance.now(),
  ) {}

  /** Reporting calls: the Web API methods that only tell people what already happened. */
  static readonly METHODS: ReadonlySet<string> = new Set([
    "chat.postMessage",
    "chat.update",
    "chat.delete",
    "views.publish",
  ]);

  /** True for a Web API URL (`…/api/chat.update`) whose method only reports. */
  static reports(url: URL): boolean {
    const method = url.pathname.slice(url.pathname.lastIndexOf("/") + 1);
    return ReportingLane.METHODS.has(method);
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

  /** How many reporting calls wait for a slot (a gauge for /metrics and the bench). */
  get queued(): number {
    return this.waiting.length;
  }

  /** Resolves with a release function once this call may go out. */
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
