import { Agent as HttpAgent, request as httpRequest, type IncomingMessage } from "node:http";
import { Agent as HttpsAgent, request as httpsRequest } from "node:https";
import type { webApi } from "@slack/bolt";
import { isReportingCall, type SlackLane } from "./lanes.js";

type FetchFunction = webApi.FetchFunction;
type FetchResponse = Awaited<ReturnType<FetchFunction>>;

/**
 * The transport the Slack WebClient (and Bolt's `respond`) use: node:http(s) over kept-alive
 * sockets, implementing the WebClient's `fetch` option. Node's built-in fetch cost ~0.9 ms of CPU
 * per Slack call on the bench machine (WHATWG streams and Response objects on both sides); this costs
 * ~0.55 ms, and every DM, message update and modal is a call. A multipart body (file uploads, which
 * the bot does not make) goes to the built-in fetch unchanged. With a `lane`, reporting calls
 * (messages, updates, App Home) wait for a slot while Slack requests are being answered.
 */
export function keepAliveFetch(options: { maxSockets?: number; lane?: SlackLane } = {}): {
  fetch: FetchFunction;
  close(): void;
} {
  const agentOptions = { keepAlive: true, maxSockets: options.maxSockets ?? 64, scheduling: "lifo" as const };
  const agents = { "http:": new HttpAgent(agentOptions), "https:": new HttpsAgent(agentOptions) };
  const { lane } = options;
  const fetch: FetchFunction = async (input, init = {}) => {
    const url = typeof input === "string" ? new URL(input) : input;
    return lane && isReportingCall(url) ? lane.run(() => send(url, init)) : send(url, init);
  };
  const send = (url: URL, init: Parameters<FetchFunction>[1] = {}): Promise<FetchResponse> => {
    const body = init.body;
    if ((body !== undefined && typeof body !== "string") || (url.protocol !== "http:" && url.protocol !== "https:")) {
      // A Response is a FetchResponse; TypeScript's Headers type here lacks the iterable half.
      return globalThis.fetch(url, init as RequestInit) as unknown as Promise<FetchResponse>;
    }
    const headers: Record<string, string> = { ...init.headers };
    if (body !== undefined) headers["content-length"] = String(Buffer.byteLength(body));
    const request = url.protocol === "https:" ? httpsRequest : httpRequest;
    return new Promise<FetchResponse>((resolve, reject) => {
      if (init.signal?.aborted) return reject(init.signal.reason);
      const req = request(
        url,
        { method: init.method ?? "GET", headers, agent: agents[url.protocol as "http:"], signal: init.signal },
        (res) => {
          const status = res.statusCode ?? 0;
          if (status >= 300 && status < 400 && init.redirect === "error") {
            res.resume();
            return reject(new TypeError(`fetch failed: ${url.host} redirected (HTTP ${status})`));
          }
          collect(res).then((bytes) => resolve(response(url, res, bytes)), reject);
        },
      );
      // Like fetch: an abort rejects with the signal's reason (the WebClient's TimeoutError).
      req.on("error", (error) =>
        reject(init.signal?.aborted ? init.signal.reason : new TypeError("fetch failed", { cause: error })),
      );
      req.end(body);
    });
  };
  return {
    fetch,
    close() {
      agents["http:"].destroy();
      agents["https:"].destroy();
    },
  };
}

function response(url: URL, res: IncomingMessage, bytes: Buffer): FetchResponse {
  const status = res.statusCode ?? 0;
  const text = () => bytes.toString("utf8");
  return {
    ok: status >= 200 && status < 300,
    status,
    statusText: res.statusMessage ?? "",
    url: url.href,
    headers: {
      get: (name) => {
        const value = res.headers[name.toLowerCase()];
        return value === undefined ? null : Array.isArray(value) ? value.join(", ") : value;
      },
      entries: () =>
        Object.entries(res.headers).flatMap(([name, value]): [string, string][] =>
          value === undefined ? [] : [[name, Array.isArray(value) ? value.join(", ") : value]],
        ),
    },
    arrayBuffer: async () => bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength) as ArrayBuffer,
    text: async () => text(),
    json: async () => JSON.parse(text()),
  };
}

function collect(res: IncomingMessage): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    res.on("data", (chunk: Buffer) => chunks.push(chunk));
    res.on("end", () => resolve(chunks.length === 1 ? (chunks[0] as Buffer) : Buffer.concat(chunks)));
    res.on("error", reject);
    res.on("aborted", () => reject(new TypeError("fetch failed: the response was cut off")));
  });
}

/**
 * The WebClient's options over this transport. Its request queue is left unbounded: a reporting
 * call parked in the lane holds a queue slot, and with the WebClient's default of 100 slots a burst
 * of parked messages made the calls an ack waits for (views.open, users.info) queue behind them
 * past Slack's 3 s. What runs at once is bounded by the lane and the agent's sockets instead.
 */
export function slackClientOptions(options: { apiUrl?: string; retries: number; fetch: FetchFunction }) {
  return {
    ...(options.apiUrl ? { slackApiUrl: options.apiUrl } : {}),
    fetch: options.fetch,
    maxRequestConcurrency: Number.POSITIVE_INFINITY,
    retryConfig: { retries: options.retries, factor: 2, minTimeout: 200, maxTimeout: 2_000 },
  };
}
