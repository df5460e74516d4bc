import { createHash, randomBytes, timingSafeEqual } from "node:crypto";
import type { IncomingMessage } from "node:http";

/** The header the page sends its token in; the event stream, which cannot set headers, uses `?token=`. */
export const TOKEN_HEADER = "x-playground-token";

/** A read of state, the event stream, or a call that changes something. */
export type ApiCall = "read" | "stream" | "change";

/** Why a request was turned away, with the status and the one sentence it gets. */
export interface Refusal {
  status: 403 | 415 | 421;
  message: string;
}

export interface GuardOptions {
  /** The port the bot listens on; read per request because it is known only after listen(). */
  port: () => number;
  /** JITBOT_PLAYGROUND_HOST: the address the server was bound to. */
  boundHost: string;
  /** JITBOT_PLAYGROUND_ALLOWED_HOSTS: further `name[:port]` the page is reached by (a forwarded port). */
  extraHosts?: readonly string[];
  /** Fixed in tests; random otherwise. */
  token?: string;
}

/** Binding to every interface names no address a browser would put in `Host`. */
const WILDCARDS = new Set(["", "0.0.0.0", "::", "[::]"]);
/** `name:port` or `[v6]:port`; a bare IPv6 address has colons but no port. */
const HAS_PORT = /^(?:\[[^\]]+\]|[^:[\]]+):\d+$/;

/**
 * Another web page must not drive the playground, since whoever drives it acts as any approver.
 *
 * - `Host` must name this server: a DNS-rebinding page reaches 127.0.0.1 under its own name, so its
 *   requests carry `Host: attacker.example:PORT` and are refused before anything is read.
 * - Every API call (reads too, since state shows requests, DMs and people) carries the page's token,
 *   which only a page served by this server can read: the same-origin policy hides it from others.
 * - A call that changes something is `application/json`, which a cross-site form or a no-cors fetch
 *   cannot send, and a browser's `Origin`/`Sec-Fetch-Site` must say same-origin. `same-site` is
 *   refused too: a page on another port of 127.0.0.1 is same-site but not same-origin. Both headers
 *   may be absent (curl, a script, a browser older than Fetch Metadata): the token still holds.
 */
export class PlaygroundGuard {
  readonly token: string;
  private readonly tokenDigest: Buffer;

  constructor(private readonly options: GuardOptions) {
    this.token = options.token ?? randomBytes(32).toString("base64url");
    this.tokenDigest = digest(this.token);
  }

  /** The `host:port` values a request may name, lower case. */
  allowedHosts(): string[] {
    const port = this.options.port();
    const names = ["127.0.0.1", "localhost", "[::1]"];
    const bound = bracketed(this.options.boundHost.trim().toLowerCase());
    if (!WILDCARDS.has(bound)) names.push(bound);
    const hosts = names.map((name) => `${name}:${port}`);
    for (const extra of this.options.extraHosts ?? []) {
      const host = extra.trim().toLowerCase();
      if (host) hosts.push(HAS_PORT.test(host) ? host : `${bracketed(host)}:${port}`);
    }
    return [...new Set(hosts)];
  }

  /** Every playground request, the page and its files included. */
  checkHost(req: IncomingMessage): Refusal | undefined {
    const host = (req.headers.host ?? "").toLowerCase();
    const allowed = this.allowedHosts();
    // Port 80 may be left out of Host, as browsers do.
    if (allowed.includes(host) || (this.options.port() === 80 && allowed.includes(`${host}:80`))) return undefined;
    return {
      status: 421,
      message: `this playground answers only to ${allowed.join(", ")}; set JITBOT_PLAYGROUND_ALLOWED_HOSTS to add a name`,
    };
  }

  /** An API call: the token always; for a change, also a JSON body. */
  checkApi(req: IncomingMessage, url: URL, kind: ApiCall): Refusal | undefined {
    const site = req.headers["sec-fetch-site"];
    if (site !== undefined && site !== "same-origin") {
      return { status: 403, message: "requests from another origin are refused (Sec-Fetch-Site is not same-origin)" };
    }
    const origin = req.headers.origin;
    if (origin !== undefined && origin !== `http://${req.headers.host}`) {
      return { status: 403, message: "requests from another origin are refused (Origin is not this page's)" };
    }
    const header = req.headers[TOKEN_HEADER];
    // EventSource cannot send headers; the stream only says "something changed", never what.
    const given = typeof header === "string" ? header : kind === "stream" ? url.searchParams.get("token") : undefined;
    if (!given || !this.tokenMatches(given)) {
      return { status: 403, message: "missing or wrong playground token: reload the page" };
    }
    if (kind === "change" && mediaType(req.headers["content-type"]) !== "application/json") {
      return { status: 415, message: "send the body as application/json" };
    }
    return undefined;
  }

  /** Both sides hashed first, so the comparison takes the same time whatever the length. */
  private tokenMatches(given: string): boolean {
    return timingSafeEqual(digest(given), this.tokenDigest);
  }
}

function digest(value: string): Buffer {
  return createHash("sha256").update(value).digest();
}

function bracketed(host: string): string {
  return host.includes(":") && !host.startsWith("[") ? `[${host}]` : host;
}

function mediaType(contentType: string | undefined): string {
  return (contentType ?? "").split(";")[0]?.trim().toLowerCase() ?? "";
}
