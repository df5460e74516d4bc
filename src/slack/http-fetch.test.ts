import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { webApi } from "@slack/bolt";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { keepAliveFetch, slackClientOptions } from "./http-fetch.js";
import { SlackLane } from "./lanes.js";

type Seen = { method: string; url: string; headers: IncomingMessage["headers"]; body: string };

describe("keepAliveFetch (the Slack WebClient's transport)", () => {
  const seen: Seen[] = [];
  let handler: (req: IncomingMessage, res: ServerResponse, body: string) => void;
  let server: Server;
  let base: string;
  const transport = keepAliveFetch();

  beforeAll(async () => {
    server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on("data", (c: Buffer) => chunks.push(c));
      req.on("end", () => {
        const body = Buffer.concat(chunks).toString();
        seen.push({ method: req.method ?? "", url: req.url ?? "", headers: req.headers, body });
        handler(req, res, body);
      });
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(async () => {
    transport.close();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  });

  it("carries a real WebClient call: form body, auth header, JSON answer, one kept-alive socket", async () => {
    const ports = new Set<number>();
    handler = (req, res) => {
      ports.add(req.socket.remotePort ?? 0);
      res.writeHead(200, { "content-type": "application/json" });
      res.end(JSON.stringify({ ok: true, channel: "D1", ts: "1.2" }));
    };
    const client = new webApi.WebClient("xoxb-secret", { slackApiUrl: `${base}/api/`, fetch: transport.fetch });
    for (let i = 0; i < 3; i++) {
      const result = await client.chat.postMessage({ channel: "U1", text: `hello ${i}` });
      expect(result).toMatchObject({ ok: true, ts: "1.2" });
    }
    const last = seen.at(-1) as Seen;
    expect(last.url).toBe("/api/chat.postMessage");
    expect(last.headers.authorization).toBe("Bearer xoxb-secret");
    expect(last.headers["content-type"]).toContain("application/x-www-form-urlencoded");
    expect(new URLSearchParams(last.body).get("text")).toBe("hello 2");
    expect(ports.size).toBe(1);
  });

  it("hands the WebClient a 429 with Retry-After, which it honours", async () => {
    let calls = 0;
    handler = (_req, res) => {
      calls++;
      if (calls === 1) {
        res.writeHead(429, { "retry-after": "0" });
        return res.end();
      }
      res.writeHead(200, { "content-type": "application/json" });
      res.end('{"ok":true}');
    };
    const client = new webApi.WebClient("xoxb-t", {
      slackApiUrl: `${base}/api/`,
      fetch: transport.fetch,
      retryConfig: { retries: 1, minTimeout: 0, maxTimeout: 0 },
    });
    await expect(client.auth.test()).resolves.toMatchObject({ ok: true });
    expect(calls).toBe(2);
  });

  it("answers status, headers and body the way fetch does", async () => {
    handler = (_req, res) => {
      res.setHeader("set-cookie", ["a=1", "b=2"]);
      res.writeHead(404, "Nope", { "content-type": "text/plain", "x-thing": "yes" });
      res.end("missing");
    };
    const res = await transport.fetch(`${base}/x`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: "{}",
    });
    expect(res).toMatchObject({ ok: false, status: 404, statusText: "Nope", url: `${base}/x` });
    expect(res.headers.get("X-Thing")).toBe("yes");
    expect(res.headers.get("absent")).toBeNull();
    expect(Object.fromEntries(res.headers.entries())).toMatchObject({ "set-cookie": "a=1, b=2" });
    expect(await res.text()).toBe("missing");
    expect(new TextDecoder().decode(await res.arrayBuffer())).toBe("missing");
  });

  it("refuses a redirect when asked to (the WebClient asks), and fails clearly when nobody listens", async () => {
    handler = (_req, res) => {
      res.writeHead(302, { location: "https://elsewhere.example/" });
      res.end();
    };
    await expect(transport.fetch(`${base}/r`, { method: "POST", body: "", redirect: "error" })).rejects.toThrow(
      /redirected \(HTTP 302\)/,
    );
    await expect(transport.fetch("http://127.0.0.1:9/", { method: "POST", body: "" })).rejects.toThrow("fetch failed");
  });

  it("stops waiting when the caller's signal aborts (the WebClient's timeout)", async () => {
    const controller = new AbortController();
    handler = () => controller.abort(new Error("timed out")); // never answers
    await expect(
      transport.fetch(`${base}/slow`, { method: "POST", body: "", signal: controller.signal }),
    ).rejects.toThrow("timed out");
    await expect(
      transport.fetch(`${base}/slow`, { method: "POST", body: "", signal: controller.signal }),
    ).rejects.toThrow("timed out");
  });

  it("lets the calls an ack waits for pass reporting calls parked in the lane (the WebClient's queue is not the limit)", async () => {
    handler = (_req, res) => {
      res.writeHead(200, { "content-type": "application/json" });
      res.end(JSON.stringify({ ok: true, channel: "D1", ts: "1.2", user: { id: "U1" } }));
    };
    const lane = new SlackLane({ limitWhileBusy: 0 });
    lane.requestArrived();
    const parkedTransport = keepAliveFetch({ lane });
    const client = new webApi.WebClient(
      "xoxb-test",
      slackClientOptions({ apiUrl: `${base}/api/`, retries: 0, fetch: parkedTransport.fetch }),
    );
    const parked = Array.from({ length: 150 }, () => client.chat.postMessage({ channel: "C1", text: "later" }));
    const info = await client.users.info({ user: "U1" });
    expect(info.ok).toBe(true);
    expect(lane.queued).toBe(150);
    lane.requestAnswered();
    await Promise.all(parked);
    parkedTransport.close();
  });
});
