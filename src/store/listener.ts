import pg from "pg";

/** Waits before reconnecting after a drop: doubling from a quarter second, at most five seconds. */
const RETRY_MS = { first: 250, max: 5_000 };

/**
 * One dedicated connection per Store that LISTENs on the schema's channel (a pooled connection
 * cannot: LISTEN belongs to a session). When the connection drops it reconnects, and then reports
 * `resync`: notices sent while it was away are lost, so whoever listens must re-read.
 */
export class ChangeListener {
  private client: pg.Client | undefined;
  private timer: NodeJS.Timeout | undefined;
  private closed = false;
  private retryMs = RETRY_MS.first;
  /** Set after the first attempt: any later connection may have missed notices. */
  private started = false;

  constructor(
    private readonly config: pg.ClientConfig,
    private readonly channel: string,
    private readonly deliver: (payload: string | undefined, resync: boolean) => void,
  ) {}

  /** Resolves once listening (or after the first failure, leaving retries to run in the background). */
  async start(): Promise<void> {
    await this.connect();
    this.started = true;
  }

  private async connect(): Promise<void> {
    if (this.closed) return;
    const client = new pg.Client(this.config);
    this.client = client;
    let dropped = false;
    const drop = () => {
      if (dropped) return;
      dropped = true;
      client.removeAllListeners("notification");
      void client.end().catch(() => undefined); // a dead connection: its end matters to nobody
      this.retry();
    };
    // Without an error listener a dropped socket would end the process.
    client.on("error", drop);
    client.on("end", drop);
    client.on("notification", (message) => {
      if (message.channel === this.channel) this.deliver(message.payload, false);
    });
    try {
      await client.connect();
      await client.query(`LISTEN "${this.channel}"`);
    } catch {
      drop();
      return;
    }
    if (this.closed) {
      await client.end().catch(() => undefined);
      return;
    }
    this.retryMs = RETRY_MS.first;
    if (this.started) this.deliver(undefined, true);
  }

  private retry(): void {
    if (this.closed || this.timer) return;
    this.timer = setTimeout(() => {
      this.timer = undefined;
      void this.connect(); // never rejects: a failed connect schedules the next retry
    }, this.retryMs);
    this.timer.unref();
    this.retryMs = Math.min(this.retryMs * 2, RETRY_MS.max);
  }

  async close(): Promise<void> {
    this.closed = true;
    if (this.timer) clearTimeout(this.timer);
    const client = this.client;
    this.client = undefined;
    if (client) {
      client.removeAllListeners("end");
      await client.end().catch(() => undefined);
    }
  }
}
