/**
 * Sources: ERRORS = https://learn.microsoft.com/en-us/graph/errors ("Error resource type": the body
 * `{"error": {"code", "message", "innerError"}}`; "HTTP status codes": 401 "Required authentication
 * information is either missing or not valid for the resource", 403, 429 "Client application has been
 * throttled", 503); THROTTLING = https://learn.microsoft.com/en-us/graph/throttling ("the response
 * includes a Retry-After header"); ADVANCED = https://learn.microsoft.com/en-us/graph/aad-advanced-queries;
 * KNOWN = https://learn.microsoft.com/en-us/graph/known-issues.
 *
 * A fake Microsoft Graph over HTTPS on 127.0.0.1, for the real Graph SDK. HTTPS because the SDK only
 * sends the bearer token to https hosts listed as Graph or in `customHosts`; the certificate is made by
 * tls-global-setup.ts and trusted through NODE_EXTRA_CA_CERTS, the same CA path production takes.
 *
 * It answers with Graph's OData JSON and `{error:{code,message}}` shapes (graph-directory.ts), records
 * every call (with its Authorization header), and can be told to throttle (429 + Retry-After), fail
 * (503) or forbid (403) the next calls.
 */
import { readFileSync } from "node:fs";
import { createServer, type Server } from "node:https";
import type { AddressInfo } from "node:net";
import { GraphDirectory, GraphHttpError } from "./graph-directory.js";

export interface RecordedCall {
  method: string;
  path: string;
  query: string;
  authorization: string | undefined;
  headers: Record<string, string | string[] | undefined>;
  body: unknown;
  at: number;
  /** The status answered, once the answer is sent. */
  status?: number;
}

interface Fault {
  status: 429 | 503 | 403;
  retryAfterSeconds?: number;
  /** Only calls whose "METHOD path" matches; all calls when absent. */
  match?: RegExp;
}

export interface FakeGraph {
  /** e.g. https://127.0.0.1:43123 — what GRAPH_BASE_URL is set to. */
  baseUrl: string;
  directory: GraphDirectory;
  calls: RecordedCall[];
  /** The next `times` matching calls answer 429 with this Retry-After (seconds). */
  throttleNext(times: number, retryAfterSeconds?: number, match?: RegExp): void;
  /** The next `times` matching calls answer 503 Service Unavailable. */
  failNext(times: number, retryAfterSeconds?: number, match?: RegExp): void;
  /** The next matching call answers 403 Authorization_RequestDenied. */
  forbidNext(match?: RegExp): void;
  /** Drops faults not yet used. */
  clearFaults(): void;
  /** Calls that changed something (not GET), as "METHOD path". */
  writes(): string[];
  close(): Promise<void>;
}

const FAULT_BODIES: Record<Fault["status"], { code: string; message: string }> = {
  429: { code: "TooManyRequests", message: "Too many requests; please retry after the indicated time." },
  503: { code: "serviceNotAvailable", message: "The service is temporarily unavailable." },
  403: { code: "Authorization_RequestDenied", message: "Insufficient privileges to complete the operation." },
};

export async function startFakeGraph(): Promise<FakeGraph> {
  const keyPath = process.env.JITBOT_TEST_TLS_KEY;
  const certPath = process.env.JITBOT_TEST_TLS_CERT;
  if (!keyPath || !certPath) {
    throw new Error("no test certificate: run through vitest so test/fakes/tls-global-setup.ts makes one");
  }
  const directory = new GraphDirectory();
  const calls: RecordedCall[] = [];
  const faults: Fault[] = [];
  let baseUrl = "";

  const server: Server = createServer({ key: readFileSync(keyPath), cert: readFileSync(certPath) }, (req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (chunk: Buffer) => chunks.push(chunk));
    req.on("end", () => {
      const url = new URL(req.url ?? "/", baseUrl);
      const path = decodeURIComponent(url.pathname).replace(/^\/v1\.0/, "");
      const text = Buffer.concat(chunks).toString("utf8");
      let body: Record<string, unknown> = {};
      try {
        body = text ? (JSON.parse(text) as Record<string, unknown>) : {};
      } catch {
        body = {};
      }
      const method = req.method ?? "GET";
      const call: RecordedCall = {
        method,
        path,
        query: url.search,
        authorization: req.headers.authorization,
        headers: req.headers,
        body,
        at: Date.now(),
      };
      calls.push(call);
      res.once("finish", () => {
        call.status = res.statusCode;
      });
      const send = (status: number, payload?: unknown, headers: Record<string, string> = {}) => {
        res.writeHead(status, {
          ...(payload === undefined ? {} : { "Content-Type": "application/json;odata.metadata=minimal" }),
          "request-id": `fake-${calls.length}`,
          ...headers,
        });
        res.end(payload === undefined ? undefined : JSON.stringify(payload));
      };
      // ERRORS 401: a request without a bearer token is refused with InvalidAuthenticationToken.
      if (!req.headers.authorization?.startsWith("Bearer ")) {
        send(401, { error: { code: "InvalidAuthenticationToken", message: "Access token is empty." } });
        return;
      }
      const faultIndex = faults.findIndex((f) => !f.match || f.match.test(`${method} ${path}`));
      const fault = faultIndex >= 0 ? faults.splice(faultIndex, 1)[0] : undefined;
      // ERRORS / THROTTLING: a queued 429 carries Retry-After; 403 and 503 their documented codes.
      if (fault) {
        const headers: Record<string, string> =
          fault.retryAfterSeconds === undefined ? {} : { "Retry-After": String(fault.retryAfterSeconds) };
        send(fault.status, { error: FAULT_BODIES[fault.status] }, headers);
        return;
      }
      // KNOWN, "Query parameters": with advanced query capabilities a request is limited
      // to "a URL length of 2,048 characters" (measured here as sent, percent-encoded). The page
      // names no error for it; the fake answers as Graph answers a query it will not run
      // (ADVANCED, "Error handling for advanced queries on directory objects": 400 Request_UnsupportedQuery).
      if (req.headers.consistencylevel === "eventual" && `${baseUrl}${req.url ?? ""}`.length > 2048) {
        send(400, { error: { code: "Request_UnsupportedQuery", message: "Unsupported Query." } });
        return;
      }
      try {
        const reply = directory.route(method, path, url.searchParams, body, baseUrl, req.headers);
        send(reply.status, reply.body);
      } catch (error) {
        if (error instanceof GraphHttpError)
          send(error.status, { error: { code: error.code, message: error.message } });
        else send(500, { error: { code: "generalException", message: String(error) } });
      }
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  baseUrl = `https://127.0.0.1:${(server.address() as AddressInfo).port}`;

  const queue = (times: number, fault: Fault) => {
    for (let i = 0; i < times; i++) faults.push(fault);
  };
  return {
    baseUrl,
    directory,
    calls,
    throttleNext: (times, retryAfterSeconds = 1, match) => queue(times, { status: 429, retryAfterSeconds, match }),
    failNext: (times, retryAfterSeconds = 0, match) => queue(times, { status: 503, retryAfterSeconds, match }),
    forbidNext: (match) => queue(1, { status: 403, match }),
    clearFaults: () => {
      faults.length = 0;
    },
    writes: () => calls.filter((c) => c.method !== "GET").map((c) => `${c.method} ${c.path}`),
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
