import { EventEmitter } from "node:events";
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import {
  BOT_USER_ID,
  dmChannelOf,
  type FakeUser,
  type OpenedView,
  type PostedMessage,
  parseBody,
  type RecordedCall,
  randomTs,
  readBody,
  viewHash,
  viewId,
} from "./slack-wire.js";

export { BOT_USER_ID, dmChannelOf, type FakeUser, type OpenedView, type PostedMessage, type RecordedCall };

/**
 * A stand-in for the Slack Web API: the tests' fake and the playground's workspace. It speaks
 * Slack's wire format (form or JSON bodies, `{ok: true|false, error}` answers, 429 + Retry-After)
 * and keeps channels, DMs, views and App Home in memory.
 */
export interface Hold {
  reached: Promise<void>;
  release(): void;
  arrive(): void;
  released: Promise<void>;
}

export class FakeSlackWebApi extends EventEmitter {
  readonly calls: RecordedCall[] = [];
  readonly users = new Map<string, FakeUser>();
  readonly messages: PostedMessage[] = [];
  readonly views = new Map<string, OpenedView>();
  readonly homes = new Map<string, Record<string, unknown>>();
  /** Display names for channel ids (conversations.info); unknown ids answer with the id itself. */
  readonly channelNames = new Map<string, string>();
  private readonly failures: {
    method: string;
    error?: string;
    status?: number;
    retryAfter?: number;
    matches?: (args: Record<string, unknown>) => boolean;
  }[] = [];
  private server: Server | undefined;
  /** Set by a Socket Mode test: the app token to accept and the WebSocket URL to hand out. */
  socketMode: { appToken: string; url: string } | undefined;
  /** The App Home's view id per user: stable across publishes, as Slack's is. */
  private readonly homeIds = new Map<string, string>();
  private readonly usedTs = new Set<string>();

  constructor(
    users: FakeUser[] = [],
    readonly token = "xoxb-test-token",
  ) {
    super();
    for (const user of users) this.users.set(user.id, user);
  }

  private readonly holds: { method: string; matches: (args: Record<string, unknown>) => boolean; gate: Hold }[] = [];

  /**
   * Tests: the next call of `method` whose arguments match waits, recorded, until `release()`;
   * `reached` settles once it arrived. Lets a test land something else while a call is in flight.
   */
  holdNext(method: string, matches: (args: Record<string, unknown>) => boolean = () => true): Hold {
    let arrive = () => {};
    let release = () => {};
    const reached = new Promise<void>((resolve) => {
      arrive = resolve;
    });
    const released = new Promise<void>((resolve) => {
      release = resolve;
    });
    const gate: Hold = { reached, release, arrive, released };
    this.holds.push({ method, matches, gate });
    return gate;
  }

  /**
   * The next call of `method` (whose arguments `matches`, if given) answers `{ok:false, error}` (or
   * HTTP `status`, with Retry-After).
   */
  failNext(
    method: string,
    failure: {
      error?: string;
      status?: number;
      retryAfter?: number;
      matches?: (args: Record<string, unknown>) => boolean;
    } = {},
  ): void {
    this.failures.push({ method, ...failure });
  }

  async listen(port = 0): Promise<string> {
    // Each call stands alone: one that fails (its client left mid-body) is dropped, never unhandled.
    this.server = createServer((req, res) => void this.handle(req, res).catch(() => res.destroy()));
    await new Promise<void>((resolve) => this.server?.listen(port, "127.0.0.1", resolve));
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}/api/`;
  }

  async close(): Promise<void> {
    await new Promise<void>((resolve) => (this.server ? this.server.close(() => resolve()) : resolve()));
  }

  callsOf(method: string): Record<string, unknown>[] {
    return this.calls.filter((c) => c.method === method).map((c) => c.args);
  }

  /** Messages a user sees in their DM with the bot. */
  dmsOf(userId: string): PostedMessage[] {
    return this.messages.filter((m) => m.channel === dmChannelOf(userId));
  }

  messagesIn(channel: string): PostedMessage[] {
    return this.messages.filter((m) => m.channel === channel && !m.ephemeralFor);
  }

  ephemeralsFor(userId: string): PostedMessage[] {
    return this.messages.filter((m) => m.ephemeralFor === userId);
  }

  /**
   * The playground's own writes: what Slack itself would show without a Web API call — the
   * ephemeral body of a slash command's HTTP answer, and views a view_submission answer pushes.
   */
  addEphemeral(channel: string, userId: string, text: string, blocks: unknown[] = []): PostedMessage {
    return this.post({ channel, text, blocks, ephemeralFor: userId }).message;
  }

  openViewFor(userId: string, view: Record<string, unknown>): OpenedView {
    const { id } = this.saveView(`${userId}.playground`, view);
    const opened = this.views.get(id);
    if (!opened) throw new Error("not_found");
    return opened;
  }

  replaceView(id: string, view: Record<string, unknown>): void {
    this.updateView(id, view);
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const method = (req.url ?? "").replace(/^\/api\//, "").split("?")[0] ?? "";
    const args = parseBody(await readBody(req), req.headers["content-type"] ?? "");
    const reply = (status: number, body: unknown, headers: Record<string, string> = {}) => {
      res.writeHead(status, { "content-type": "application/json", ...headers });
      res.end(JSON.stringify(body));
    };
    if (method === "apps.connections.open") {
      // Socket Mode: the only method called with the app-level token; it hands out the WebSocket URL.
      this.calls.push({ method, args });
      const ok = this.socketMode && req.headers.authorization === `Bearer ${this.socketMode.appToken}`;
      return reply(200, ok ? { ok: true, url: this.socketMode?.url } : { ok: false, error: "invalid_auth" });
    }
    if (req.headers.authorization !== `Bearer ${this.token}`) return reply(200, { ok: false, error: "invalid_auth" });
    this.calls.push({ method, args });
    const held = this.holds.findIndex((h) => h.method === method && h.matches(args));
    if (held >= 0) {
      const [hold] = this.holds.splice(held, 1);
      hold?.gate.arrive();
      await hold?.gate.released;
    }
    const failure = this.failures.findIndex((f) => f.method === method && (f.matches?.(args) ?? true));
    if (failure >= 0) {
      const [f] = this.failures.splice(failure, 1);
      if (f?.status)
        return reply(f.status, { ok: false, error: "ratelimited" }, { "retry-after": String(f.retryAfter ?? 1) });
      return reply(200, { ok: false, error: f?.error ?? "internal_error" });
    }
    try {
      reply(200, { ok: true, ...this.answer(method, args) });
    } catch (error) {
      reply(200, { ok: false, error: (error as Error).message });
    }
  }

  private answer(method: string, a: Record<string, unknown>): Record<string, unknown> {
    switch (method) {
      case "auth.test":
        return {
          url: "https://playground.slack.test/",
          team: "Playground",
          user: "jitbot",
          team_id: "T0PLAY",
          user_id: BOT_USER_ID,
          bot_id: "B0JITBOT",
        };
      case "users.info": {
        const user = this.users.get(String(a.user));
        if (!user) throw new Error("user_not_found");
        return {
          user: {
            id: user.id,
            name: user.name.toLowerCase().replace(/\s+/g, "."),
            real_name: user.name,
            is_bot: user.isBot ?? false,
            profile: { real_name: user.name, display_name: user.name, ...(user.email ? { email: user.email } : {}) },
          },
        };
      }
      case "usergroups.users.list":
        return {
          users: [...this.users.values()].filter((u) => u.groups?.includes(String(a.usergroup))).map((u) => u.id),
        };
      case "conversations.open":
        return { channel: { id: dmChannelOf(String(a.users).split(",")[0] ?? "") } };
      case "conversations.info":
        return {
          channel: {
            id: a.channel,
            name: this.channelNames.get(String(a.channel)) ?? String(a.channel).toLowerCase(),
            is_member: true,
          },
        };
      case "chat.postMessage":
        return this.post(a);
      case "chat.postEphemeral": {
        const message = this.post({ ...a, ephemeralFor: a.user });
        return { message_ts: message.ts };
      }
      case "chat.update":
        return this.update(a);
      case "views.open":
      case "views.push":
        if (!a.trigger_id) throw new Error("invalid_trigger_id");
        return { view: this.saveView(String(a.trigger_id), a.view as Record<string, unknown>) };
      case "views.update":
        return { view: this.updateView(String(a.view_id), a.view as Record<string, unknown>) };
      case "views.publish":
        this.homes.set(String(a.user_id), a.view as Record<string, unknown>);
        this.emit("home", String(a.user_id));
        return { view: { id: this.homeIdOf(String(a.user_id)), hash: viewHash(), ...(a.view as object) } };
      default:
        throw new Error("unknown_method");
    }
  }

  private post(a: Record<string, unknown>) {
    const raw = String(a.channel ?? "");
    if (!raw) throw new Error("channel_not_found");
    const channel = raw.startsWith("U") || raw.startsWith("W") ? dmChannelOf(raw) : raw;
    const message: PostedMessage = {
      channel,
      ts: this.nextTs(),
      text: String(a.text ?? ""),
      blocks: (a.blocks as unknown[]) ?? [],
      user: BOT_USER_ID,
      postedAt: Date.now(),
      ...(a.ephemeralFor ? { ephemeralFor: String(a.ephemeralFor) } : {}),
      ...(a.thread_ts ? { thread_ts: String(a.thread_ts) } : {}),
    };
    this.messages.push(message);
    this.emit("message", message);
    return { channel, ts: message.ts, message };
  }

  private update(a: Record<string, unknown>) {
    const message = this.messages.find((m) => m.channel === a.channel && m.ts === a.ts && !m.ephemeralFor);
    if (!message) throw new Error("message_not_found");
    message.text = String(a.text ?? message.text);
    message.blocks = (a.blocks as unknown[]) ?? message.blocks;
    message.edited = true;
    this.emit("message", message);
    return { channel: message.channel, ts: message.ts };
  }

  /** The id the App Home of `userId` has, once it is published. */
  homeIdOf(userId: string): string {
    let id = this.homeIds.get(userId);
    if (!id) {
      id = viewId();
      this.homeIds.set(userId, id);
    }
    return id;
  }

  private saveView(triggerId: string, view: Record<string, unknown>) {
    const id = viewId();
    const userId = triggerId.split(".")[0] ?? "";
    const opened: OpenedView = { id, hash: viewHash(), userId, view };
    this.views.set(id, opened);
    this.emit("view", opened);
    return { id, hash: opened.hash, ...view };
  }

  private updateView(id: string, view: Record<string, unknown>) {
    const opened = this.views.get(id);
    if (!opened) throw new Error("not_found");
    opened.view = view;
    opened.hash = viewHash();
    this.emit("view", opened);
    return { id, hash: opened.hash, ...view };
  }

  /** Slack's ts is unique per channel; unique overall is simpler and stricter. */
  private nextTs(): string {
    for (;;) {
      const ts = randomTs();
      if (!this.usedTs.has(ts)) {
        this.usedTs.add(ts);
        return ts;
      }
    }
  }
}
