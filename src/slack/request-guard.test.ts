import type { IncomingMessage } from "node:http";
import { PassThrough } from "node:stream";
import { describe, expect, it } from "vitest";
import { acceptBody, isSslCheck, readCappedBody, refuseByHeaders, SLACK_BODY_LIMIT } from "./request-guard.js";
import { signedHeaders } from "./signing.js";

/**
 * The guard in front of Bolt, one rule at a time (test/http and test/lifecycle/refusals.test.ts send
 * the same requests to a running bot). Slack's rules: https://docs.slack.dev/authentication/verifying-requests-from-slack
 */
const SECRET = "request-guard-test-signing-secret";
const NOW_MS = Date.UTC(2026, 2, 2, 9, 0, 0);
const NOW_S = NOW_MS / 1000;
const SIGNATURE = `v0=${"a".repeat(64)}`;

/** A request whose body streams from `chunks` (ended unless `open`). */
function request(headers: Record<string, string>, chunks: (string | Buffer)[] = [], open = false): IncomingMessage {
  const stream = new PassThrough();
  for (const chunk of chunks) stream.write(chunk);
  if (!open) stream.end();
  return Object.assign(stream, { headers }) as unknown as IncomingMessage;
}

const stamped = (timestamp: string | number, extra: Record<string, string> = {}) => ({
  "x-slack-signature": SIGNATURE,
  "x-slack-request-timestamp": String(timestamp),
  ...extra,
});

describe("refuseByHeaders", () => {
  it("lets a request with both headers, stamped now, of an allowed length through", () => {
    expect(refuseByHeaders(request(stamped(NOW_S, { "content-length": "10" })), NOW_MS)).toBeUndefined();
    expect(refuseByHeaders(request(stamped(NOW_S)), NOW_MS)).toBeUndefined();
  });

  const unsigned: [string, Record<string, string>][] = [
    ["no headers", {}],
    ["a signature and no timestamp", { "x-slack-signature": SIGNATURE }],
    ["a timestamp and no signature", { "x-slack-request-timestamp": String(NOW_S) }],
    ["a v1 signature", stamped(NOW_S, { "x-slack-signature": `v1=${"a".repeat(64)}` })],
    ["upper-case hex", stamped(NOW_S, { "x-slack-signature": `v0=${"A".repeat(64)}` })],
    ["63 hex digits", stamped(NOW_S, { "x-slack-signature": `v0=${"a".repeat(63)}` })],
    ["65 hex digits", stamped(NOW_S, { "x-slack-signature": `v0=${"a".repeat(65)}` })],
    ["text before the v0", stamped(NOW_S, { "x-slack-signature": `xv0=${"a".repeat(64)}` })],
  ];
  for (const [what, headers] of unsigned) {
    it(`calls ${what} unsigned, 401`, () => {
      expect(refuseByHeaders(request(headers), NOW_MS)).toEqual({
        status: 401,
        why: "no Slack signature",
        unsigned: true,
      });
    });
  }

  for (const timestamp of ["", "12a", "-5", "1.5", " 1", "1234567890123"]) {
    it(`refuses the timestamp ${JSON.stringify(timestamp)} as not a number, 401, signed`, () => {
      expect(refuseByHeaders(request(stamped(timestamp)), NOW_MS)).toEqual({
        status: 401,
        why: "the Slack timestamp is not a number",
      });
    });
  }

  it("allows five minutes of skew either way and refuses a second more, naming which way", () => {
    expect(refuseByHeaders(request(stamped(NOW_S + 300)), NOW_MS)).toBeUndefined();
    expect(refuseByHeaders(request(stamped(NOW_S - 300)), NOW_MS)).toBeUndefined();
    expect(refuseByHeaders(request(stamped(NOW_S + 301)), NOW_MS)).toEqual({
      status: 401,
      why: "the Slack timestamp is in the future",
    });
    expect(refuseByHeaders(request(stamped(NOW_S - 301)), NOW_MS)).toEqual({
      status: 401,
      why: "the Slack timestamp is stale",
    });
    // Within the second: now is rounded down, as Slack's own timestamps are whole seconds.
    expect(refuseByHeaders(request(stamped(NOW_S + 300)), NOW_MS + 999)).toBeUndefined();
    expect(refuseByHeaders(request(stamped(NOW_S - 300)), NOW_MS + 999)).toBeUndefined();
    expect(refuseByHeaders(request(stamped(NOW_S - 300)), NOW_MS + 1_000)).toMatchObject({
      why: "the Slack timestamp is stale",
    });
  });

  it("refuses a Content-Length over the limit (or not a number) with 413, and allows the limit itself", () => {
    const length = (value: string, limit?: number) =>
      refuseByHeaders(request(stamped(NOW_S, { "content-length": value })), NOW_MS, limit);
    expect(length(String(SLACK_BODY_LIMIT))).toBeUndefined();
    expect(length(String(SLACK_BODY_LIMIT + 1))).toEqual({ status: 413, why: "the body is over the limit" });
    expect(length("lots")).toEqual({ status: 413, why: "the body is over the limit" });
    expect(length("100", 100)).toBeUndefined();
    expect(length("101", 100)).toEqual({ status: 413, why: "the body is over the limit" });
    expect(SLACK_BODY_LIMIT).toBe(256 * 1024);
  });
});

describe("readCappedBody", () => {
  it("answers the whole body, chunks joined, up to the limit itself", async () => {
    const read = await readCappedBody(request({}, ["ab", Buffer.from("cd")]), 4);
    expect(read).toEqual({ kind: "body", body: Buffer.from("abcd") });
  });

  it("stops at the first byte over the limit, pausing the stream", async () => {
    const req = request({}, ["abc", "de"], true);
    expect(await readCappedBody(req, 4)).toEqual({ kind: "too large" });
    expect(req.isPaused()).toBe(true);
  });

  it("answers gone, never rejecting, when the client errors or closes before the end", async () => {
    const erroring = request({}, ["ab"], true);
    const errored = readCappedBody(erroring);
    erroring.destroy(new Error("socket hang up"));
    expect(await errored).toEqual({ kind: "gone" });
    const closing = request({}, ["ab"], true);
    const closed = readCappedBody(closing);
    closing.destroy();
    expect(await closed).toEqual({ kind: "gone" });
  });

  it("leaves no listener behind, whatever the outcome", async () => {
    const events = ["data", "end", "error", "close"] as const;
    const whole = request({}, ["ab"]);
    await readCappedBody(whole, 4);
    const large = request({}, ["abcdef"], true);
    await readCappedBody(large, 4);
    for (const req of [whole, large]) {
      expect(events.map((event) => req.listenerCount(event))).toEqual([0, 0, 0, 0]);
    }
  });
});

describe("isSslCheck", () => {
  const FORM = "application/x-www-form-urlencoded";
  const check = (body: string, headers: Record<string, string> = {}) =>
    isSslCheck(
      request({ "content-type": FORM, "content-length": String(Buffer.byteLength(body)), ...headers }, [body]),
    );

  it("is Slack's form of ssl_check=1 and a token, with or without a charset", async () => {
    expect(await check("ssl_check=1&token=abc")).toBe(true);
    expect(await check("ssl_check=1")).toBe(true);
    expect(await check("token=abc&ssl_check=1", { "content-type": `${FORM}; charset=utf-8` })).toBe(true);
  });

  it("is nothing else: another type, another value, another key, or no length", async () => {
    expect(await check("ssl_check=1&token=abc", { "content-type": "application/json" })).toBe(false);
    expect(await check("ssl_check=0&token=abc")).toBe(false);
    expect(await check("token=abc")).toBe(false);
    expect(await check("ssl_check=1&token=abc&command=%2Fjit")).toBe(false);
    const noLength = request({ "content-type": FORM }, ["ssl_check=1"]);
    expect(await isSslCheck(noLength)).toBe(false);
  });

  it("reads at most 512 bytes, whatever the length header says", async () => {
    const padded = `ssl_check=1&token=${"t".repeat(512 - "ssl_check=1&token=".length)}`;
    expect(Buffer.byteLength(padded)).toBe(512);
    expect(await check(padded)).toBe(true);
    expect(await check(`${padded}t`)).toBe(false);
    // A body longer than its header claims is cut off at 512 bytes, and is not a check.
    const lying = request({ "content-type": FORM, "content-length": "20" }, [`${padded}t`]);
    expect(await isSslCheck(lying)).toBe(false);
  });
});

describe("acceptBody", () => {
  /** A request signed now as Slack signs it, its body already read. */
  function signed(body: string, type = "application/json", secret = SECRET) {
    const req = request({ "content-type": type, ...signedHeaders(secret, body) });
    return { req, refusal: acceptBody(req, Buffer.from(body), SECRET) };
  }
  const json = (payload: unknown) => signed(JSON.stringify(payload)).refusal;

  it("takes a signed payload of a known type and leaves its body on the request for Bolt", () => {
    const body = JSON.stringify({ type: "url_verification", challenge: "c" });
    const { req, refusal } = signed(body);
    expect(refusal).toBeUndefined();
    expect((req as IncomingMessage & { rawBody?: Buffer }).rawBody?.toString()).toBe(body);
  });

  it("refuses a body signed with another secret, or changed after signing", () => {
    expect(signed(JSON.stringify({ type: "url_verification" }), "application/json", "another secret").refusal).toEqual({
      status: 401,
      why: "the Slack signature does not match",
    });
    const body = JSON.stringify({ type: "url_verification" });
    const req = request({ "content-type": "application/json", ...signedHeaders(SECRET, body) });
    expect(acceptBody(req, Buffer.from(`${body} `), SECRET)).toEqual({
      status: 401,
      why: "the Slack signature does not match",
    });
  });

  it("refuses, signed, what does not parse and what is not an object", () => {
    expect(signed("{not json").refusal).toEqual({ status: 400, why: "the body is not JSON or a form" });
    for (const body of ["null", "[]", "[1]", "42", '"text"']) {
      expect(signed(body).refusal).toEqual({ status: 400, why: "the body is not an object" });
    }
  });

  it("routes what Bolt can route: events, commands, options, actions, the SSL check and each known type", () => {
    for (const payload of [
      { event: { type: "app_home_opened" } },
      { command: "/jit" },
      { name: "profile" },
      { actions: [] },
      { ssl_check: "1" },
      ...[
        "url_verification",
        "block_suggestion",
        "dialog_submission",
        "shortcut",
        "message_action",
        "view_submission",
        "view_closed",
      ].map((type) => ({ type })),
    ]) {
      expect(json(payload), JSON.stringify(payload)).toBeUndefined();
    }
    // A slash command arrives as a form.
    expect(signed("command=%2Fjit&text=request", "application/x-www-form-urlencoded").refusal).toBeUndefined();
    // An interactive payload arrives as a form holding `payload`.
    const click = `payload=${encodeURIComponent(JSON.stringify({ type: "block_actions", actions: [] }))}`;
    expect(signed(click, "application/x-www-form-urlencoded").refusal).toBeUndefined();
  });

  it("refuses a signed payload Bolt cannot route at once (it would wait 3 s for a 404)", () => {
    for (const payload of [{}, { type: "block_actions" }, { type: "event_callback" }, { type: ["view_submission"] }]) {
      expect(json(payload), JSON.stringify(payload)).toEqual({ status: 400, why: "no Slack payload of a known type" });
    }
  });

  it("refuses a workspace id that is not a short string, wherever Bolt reads one", () => {
    const refused = { status: 400, why: "a workspace id in the payload is not a string" };
    const long = "T".repeat(65);
    const places: ((id: unknown) => Record<string, unknown>)[] = [
      (id) => ({ team_id: id }),
      (id) => ({ enterprise_id: id }),
      (id) => ({ api_app_id: id }),
      (id) => ({ team: { id } }),
      (id) => ({ enterprise: { id } }),
      (id) => ({ user: { team_id: id } }),
      (id) => ({ view: { team_id: id } }),
      (id) => ({ event: { team: id } }),
    ];
    for (const place of places) {
      const payload = (id: unknown) => ({ command: "/jit", ...place(id) });
      expect(json(payload({ [`${"k".repeat(100)}token`]: 1 })), JSON.stringify(place("{}"))).toEqual(refused);
      expect(json(payload(long)), JSON.stringify(place(long))).toEqual(refused);
      expect(json(payload(7)), JSON.stringify(place(7))).toEqual(refused);
      expect(json(payload("T".repeat(64))), JSON.stringify(place("T…64"))).toBeUndefined();
      expect(json(payload(null)), JSON.stringify(place(null))).toBeUndefined();
    }
    // A team, user or view that is not an object carries no id to check.
    expect(json({ command: "/jit", team: "T0", user: null, view: 5, enterprise: [] })).toBeUndefined();
  });
});
