import type { IncomingMessage } from "node:http";
import { describe, expect, it } from "vitest";
import { PlaygroundGuard } from "./guard.js";

const guard = (boundHost: string, extraHosts: string[] = [], port = 3000) =>
  new PlaygroundGuard({ port: () => port, boundHost, extraHosts, token: "t".repeat(43) });

/** Only the headers are read; a plain object stands in for the socket's request. */
const request = (headers: Record<string, string>) => ({ headers }) as IncomingMessage;

describe("the hosts the playground answers to", () => {
  it.each([
    {
      what: "the loopback names, bound to 127.0.0.1",
      bound: "127.0.0.1",
      extra: [],
      hosts: ["127.0.0.1:3000", "localhost:3000", "[::1]:3000"],
    },
    {
      what: "the configured name too",
      bound: "Playground.Internal",
      extra: [],
      hosts: ["127.0.0.1:3000", "localhost:3000", "[::1]:3000", "playground.internal:3000"],
    },
    {
      what: "a configured IPv6 address, bracketed",
      bound: "fd00::5",
      extra: [],
      hosts: ["127.0.0.1:3000", "localhost:3000", "[::1]:3000", "[fd00::5]:3000"],
    },
    {
      what: "no name for a wildcard bind (0.0.0.0 is no address a browser uses)",
      bound: "0.0.0.0",
      extra: [],
      hosts: ["127.0.0.1:3000", "localhost:3000", "[::1]:3000"],
    },
    {
      what: "JITBOT_PLAYGROUND_ALLOWED_HOSTS, with or without a port (a forwarded port keeps its own)",
      bound: "::",
      extra: ["localhost:8080", " box.lan ", "[fd00::7]:9000", "fd00::8"],
      hosts: [
        "127.0.0.1:3000",
        "localhost:3000",
        "[::1]:3000",
        "localhost:8080",
        "box.lan:3000",
        "[fd00::7]:9000",
        "[fd00::8]:3000",
      ],
    },
  ])("lists $what", ({ bound, extra, hosts }) => {
    expect(guard(bound, extra).allowedHosts()).toEqual(hosts);
  });

  it.each([
    ["localhost:3000", true],
    ["LOCALHOST:3000", true],
    ["localhost", false],
    ["localhost:3001", false],
    ["attacker.example:3000", false],
    ["127.0.0.1.attacker.example:3000", false],
    ["", false],
  ])("Host %j is %s", (host, allowed) => {
    expect(guard("127.0.0.1").checkHost(request({ host })) === undefined).toBe(allowed);
  });

  it("accepts a Host without the port when the port is 80, as browsers send it", () => {
    expect(guard("127.0.0.1", [], 80).checkHost(request({ host: "localhost" }))).toBeUndefined();
  });

  it("names the allowed hosts and the setting in its refusal", () => {
    expect(guard("127.0.0.1").checkHost(request({ host: "attacker.example:3000" }))).toEqual({
      status: 421,
      message:
        "this playground answers only to 127.0.0.1:3000, localhost:3000, [::1]:3000; set JITBOT_PLAYGROUND_ALLOWED_HOSTS to add a name",
    });
  });
});

describe("an API call", () => {
  const url = new URL("http://localhost:3000/playground/api/events?token=tttt");
  const page = {
    host: "localhost:3000",
    "x-playground-token": "t".repeat(43),
    "content-type": "application/json; charset=utf-8",
  };

  it("passes with the token and JSON, from the page's own origin or from no browser at all", () => {
    expect(guard("127.0.0.1").checkApi(request(page), url, "change")).toBeUndefined();
    const browser = { ...page, origin: "http://localhost:3000", "sec-fetch-site": "same-origin" };
    expect(guard("127.0.0.1").checkApi(request(browser), url, "change")).toBeUndefined();
  });

  it("takes the token from the query string only for the event stream", () => {
    const query = new URL(`http://localhost:3000/playground/api/events?token=${"t".repeat(43)}`);
    expect(guard("127.0.0.1").checkApi(request({ host: "localhost:3000" }), query, "stream")).toBeUndefined();
    expect(guard("127.0.0.1").checkApi(request({ host: "localhost:3000" }), query, "read")?.status).toBe(403);
  });

  it.each([
    ["the same origin on another host name", { origin: "http://127.0.0.1:3000" }, 403],
    ["Sec-Fetch-Site: none (typed in the address bar)", { "sec-fetch-site": "none" }, 403],
    ["Origin: null (a sandboxed frame)", { origin: "null" }, 403],
    ["a token one character short", { "x-playground-token": "t".repeat(42) }, 403],
    ["JSON in the wrong media type", { "content-type": "text/json" }, 415],
  ])("refuses %s", (_what, headers, status) => {
    expect(guard("127.0.0.1").checkApi(request({ ...page, ...headers }), url, "change")?.status).toBe(status);
  });

  it("makes a different token each time it is not given one", () => {
    const a = new PlaygroundGuard({ port: () => 3000, boundHost: "127.0.0.1" });
    const b = new PlaygroundGuard({ port: () => 3000, boundHost: "127.0.0.1" });
    expect(a.token).toMatch(/^[\w-]{43}$/);
    expect(a.token).not.toBe(b.token);
  });
});
