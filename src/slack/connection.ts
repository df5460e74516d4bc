import type pino from "pino";
import type { Clock, TimerHandle } from "../domain/clock.js";
import type { Readiness } from "./http-surface.js";

/** Waits between attempts: quick at first (a restart of the network), then every 30 s. */
const BACKOFF_MS = [1_000, 2_000, 4_000, 8_000, 16_000, 30_000];

export interface SlackConnectionOptions {
  /** One attempt: Bolt's `app.init()` (auth.test), and in Socket Mode `app.start()` too. */
  connect: () => Promise<void>;
  /** For the log line and /readyz: where the bot is trying to reach. */
  apiUrl: string;
  clock: Clock;
  logger: pino.Logger;
}

/**
 * Reaches the Slack API at start-up and keeps trying until it answers. Until then `/readyz` says
 * why, and no request from Slack is handed to Bolt (it could not authorize one).
 */
export class SlackConnection {
  status: Readiness = { ok: false, reason: "connecting to the Slack API" };
  private stopped = false;
  private timer: TimerHandle | undefined;
  private wake: (() => void) | undefined;

  constructor(private readonly options: SlackConnectionOptions) {}

  get connected(): boolean {
    return this.status.ok;
  }

  /** Resolves once connected, or once stopped. Never rejects: a failed attempt is logged and retried. */
  async open(): Promise<void> {
    const { logger, apiUrl } = this.options;
    for (let attempt = 0; !this.stopped; attempt++) {
      try {
        await this.options.connect();
        this.status = { ok: true };
        if (attempt > 0) logger.info({ attempts: attempt + 1 }, `connected to the Slack API at ${apiUrl}`);
        return;
      } catch (error) {
        const delay = BACKOFF_MS[Math.min(attempt, BACKOFF_MS.length - 1)] ?? 30_000;
        const reason = describeSlackFailure(error, apiUrl);
        this.status = { ok: false, reason };
        logger.warn({ attempt: attempt + 1 }, `${reason}; retrying in ${delay / 1000}s`);
        await this.pause(delay);
      }
    }
  }

  stop(): void {
    this.stopped = true;
    this.timer?.cancel();
    this.wake?.();
  }

  private pause(ms: number): Promise<void> {
    return new Promise((resolve) => {
      this.wake = resolve;
      this.timer = this.options.clock.setTimer(resolve, ms);
    });
  }
}

/**
 * One sentence for the operator. The WebClient wraps a network failure (`slack_webapi_request_error`)
 * around the transport's error, whose code (ECONNREFUSED, ENOTFOUND…) is what helps; Slack's own
 * refusals (`slack_webapi_platform_error`) carry Slack's error code. No token or body is included.
 */
export function describeSlackFailure(error: unknown, apiUrl: string): string {
  const fields = error && typeof error === "object" ? (error as Record<string, unknown>) : {};
  if (fields.code === "slack_webapi_platform_error") {
    const data = fields.data as { error?: unknown } | undefined;
    return `Slack API at ${apiUrl} refused the bot's credentials: ${String(data?.error ?? "unknown error")}`;
  }
  if (fields.code === "slack_webapi_http_error") {
    return `Slack API at ${apiUrl} answered HTTP ${String(fields.statusCode ?? "error")}`;
  }
  const networkCode = findCode(fields.original) ?? findCode(error);
  if (networkCode) return `Slack API unreachable at ${apiUrl}: ${networkCode}`;
  const message = error instanceof Error ? error.message : String(error);
  return `Slack API unreachable at ${apiUrl}: ${message.slice(0, 200)}`;
}

/** The first system error code (ECONNREFUSED…) along an error's `cause` chain. */
function findCode(error: unknown, depth = 0): string | undefined {
  if (!error || typeof error !== "object" || depth > 5) return undefined;
  const { code, cause, errors } = error as { code?: unknown; cause?: unknown; errors?: unknown };
  if (typeof code === "string" && /^E[A-Z_]+$/.test(code)) return code;
  if (Array.isArray(errors)) {
    for (const inner of errors) {
      const found = findCode(inner, depth + 1);
      if (found) return found;
    }
  }
  return findCode(cause, depth + 1);
}
