import { readFileSync } from "node:fs";
import { Agent, createServer, request, type Server } from "node:https";
import type { AddressInfo } from "node:net";

export interface ThrottleProxy {
  baseUrl: string;
  /** Calls let through to the fake Graph, and calls answered 429. */
  passed: number;
  throttled: number;
  close(): Promise<void>;
}

/**
 * A token bucket in front of the fake Graph: `ratePerSecond` sustained, one second of burst, and
 * 429 TooManyRequests + Retry-After (whole seconds, as Graph sends it) when the bucket is empty.
 * Graph's own limits are counts per time window; a one-second bucket is the same ceiling.
 */
export async function startThrottleProxy(
  upstream: string,
  ratePerSecond: number,
  /** Tokens the bucket holds; the quick run keeps it small so a slow machine still meets a 429. */
  burst = ratePerSecond,
): Promise<ThrottleProxy> {
  const keyPath = process.env.JITBOT_TEST_TLS_KEY;
  const certPath = process.env.JITBOT_TEST_TLS_CERT;
  if (!keyPath || !certPath) throw new Error("no test certificate (bench/run.ts or vitest makes one)");
  const target = new URL(upstream);
  const agent = new Agent({ keepAlive: true, maxSockets: 64 });
  let tokens = burst;
  let refilledAt = performance.now();
  const take = (): boolean => {
    const now = performance.now();
    tokens = Math.min(burst, tokens + ((now - refilledAt) / 1000) * ratePerSecond);
    refilledAt = now;
    if (tokens < 1) return false;
    tokens -= 1;
    return true;
  };
  const state = { passed: 0, throttled: 0 };
  const server: Server = createServer({ key: readFileSync(keyPath), cert: readFileSync(certPath) }, (req, res) => {
    if (!take()) {
      state.throttled++;
      const waitSeconds = Math.max(1, Math.ceil((1 - tokens) / ratePerSecond));
      req.resume();
      res.writeHead(429, { "Content-Type": "application/json", "Retry-After": String(waitSeconds) });
      res.end(JSON.stringify({ error: { code: "TooManyRequests", message: "Too many requests." } }));
      return;
    }
    state.passed++;
    const upstreamReq = request(
      {
        host: target.hostname,
        port: target.port,
        method: req.method,
        path: req.url,
        headers: { ...req.headers, host: target.host },
        agent,
      },
      (upstreamRes) => {
        res.writeHead(upstreamRes.statusCode ?? 502, upstreamRes.headers);
        upstreamRes.pipe(res);
      },
    );
    upstreamReq.on("error", () => {
      res.writeHead(502);
      res.end();
    });
    req.pipe(upstreamReq);
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const proxy: ThrottleProxy = {
    baseUrl: `https://127.0.0.1:${(server.address() as AddressInfo).port}`,
    get passed() {
      return state.passed;
    },
    get throttled() {
      return state.throttled;
    },
    close: () =>
      new Promise<void>((resolve) => {
        agent.destroy();
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
  return proxy;
}
