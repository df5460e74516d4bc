import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { signedHeaders, slackSignature } from "../../src/slack/signing.js";
import { SIGNING_SECRET, startTestBot, type TestBot } from "../support/bot.js";
import { bodyPieces, rawRequest } from "../support/raw-http.js";
import { countRows } from "../support/store-rows.js";

let t: TestBot;
beforeAll(async () => {
  t = await startTestBot();
});
afterAll(async () => {
  await t?.close();
});

const MB = 1024 * 1024;
const slashHelp = "command=%2Fjit&text=help&user_id=U0ALICE&team_id=T0PLAY&trigger_id=U0ALICE.x";

/** What a hostile request must never change: nothing filed, nothing posted, no modal opened. */
async function footprint() {
  return {
    requests: await countRows(t.store, "requests"),
    audit: await countRows(t.store, "audit_events"),
    slackCalls: t.slack.calls.length,
  };
}

async function expectAlive() {
  const health = await fetch(`${t.bot.url}/healthz`);
  expect(health.status).toBe(200);
  expect((await fetch(`${t.bot.url}/readyz`)).status).toBe(200);
}

function head(method: string, path: string, headers: Record<string, string | number> = {}): string {
  const lines = Object.entries({ host: "127.0.0.1", ...headers }).map(([k, v]) => `${k}: ${v}`);
  return `${method} ${path} HTTP/1.1\r\n${lines.join("\r\n")}\r\n\r\n`;
}

describe("the HTTP surface never dies", () => {
  it.each(["GET", "HEAD", "PUT", "DELETE", "OPTIONS", "PATCH"])(
    "%s /slack/events is 405 with Allow: POST, and the bot keeps serving",
    async (method) => {
      const before = await footprint();
      const answer = await rawRequest(t.bot.url, head(method, "/slack/events", { "content-length": 0 }));
      expect(answer.status).toBe(405);
      expect(answer.headers.allow).toBe("POST");
      await expectAlive();
      expect(await footprint()).toEqual(before);
    },
  );

  it("answers 405 with Allow on the probes, 404 on an unknown path, 400 on an unreadable URL", async () => {
    const put = await rawRequest(t.bot.url, head("POST", "/healthz", { "content-length": 0 }));
    expect(put.status).toBe(405);
    expect(put.headers.allow).toBe("GET, HEAD");
    expect((await rawRequest(t.bot.url, head("GET", "/slack/events/../nowhere"))).status).toBe(404);
    expect((await rawRequest(t.bot.url, head("DELETE", "/no/such/path"))).status).toBe(404);
    expect((await rawRequest(t.bot.url, head("GET", "http://[bad"))).status).toBe(400);
    const headProbe = await rawRequest(t.bot.url, head("HEAD", "/healthz"));
    expect(headProbe.status).toBe(200);
    await expectAlive();
  });

  it("refuses an unsigned POST with 401 before reading it, and a signature that does not match", async () => {
    const before = await footprint();
    const unsigned = await t.driver.post(slashHelp, "application/x-www-form-urlencoded", {});
    expect(unsigned.status).toBe(401);
    const forged = await t.driver.post(slashHelp, "application/x-www-form-urlencoded", {
      ...signedHeaders("not-the-secret", slashHelp),
    });
    expect(forged.status).toBe(401);
    // Announces a body it never sends: refused on the headers alone, without waiting for a byte.
    const announced = await rawRequest(t.bot.url, head("POST", "/slack/events", { "content-length": 1000 }));
    expect(announced.status).toBe(401);
    await expectAlive();
    expect(await footprint()).toEqual(before);
  });

  it("refuses a signed request stamped more than five minutes in the future (Bolt only refuses stale ones)", async () => {
    const before = await footprint();
    const future = Math.floor(Date.now() / 1000) + 6 * 60;
    const answer = await t.driver.post(
      slashHelp,
      "application/x-www-form-urlencoded",
      signedHeaders(SIGNING_SECRET, slashHelp, future),
    );
    expect(answer.status).toBe(401);
    const stale = Math.floor(Date.now() / 1000) - 6 * 60;
    expect(
      (
        await t.driver.post(
          slashHelp,
          "application/x-www-form-urlencoded",
          signedHeaders(SIGNING_SECRET, slashHelp, stale),
        )
      ).status,
    ).toBe(401);
    // Within the window it is answered: the refusal above is about the timestamp alone.
    const now = await t.driver.post(slashHelp, "application/x-www-form-urlencoded");
    expect(now.status).toBe(200);
    await expectAlive();
    expect((await footprint()).requests).toEqual(before.requests);
  });

  it.each([
    ["broken JSON", "application/json", '{"type": "block_actions", '],
    ["JSON null (Bolt reads body.ssl_check outside its try)", "application/json", "null"],
    ["a form whose payload is null", "application/x-www-form-urlencoded", "payload=null"],
    ["a JSON array", "application/json", "[1,2]"],
  ])("answers a correctly signed %s with 400", async (_what, contentType, body) => {
    const before = await footprint();
    const answer = await t.driver.post(body, contentType);
    expect(answer.status).toBe(400);
    await expectAlive();
    expect(await footprint()).toEqual(before);
  });

  it("refuses a 10 MB body announced by Content-Length with 413 without reading it", async () => {
    const ts = Math.floor(Date.now() / 1000);
    const answer = await rawRequest(
      t.bot.url,
      head("POST", "/slack/events", {
        "content-type": "application/json",
        "content-length": 10 * MB,
        "x-slack-request-timestamp": ts,
        "x-slack-signature": slackSignature(SIGNING_SECRET, ts, "irrelevant"),
      }),
      bodyPieces(10 * MB, 64 * 1024, false),
    );
    expect(answer.status).toBe(413);
    expect(answer.headers.connection).toBe("close");
    expect(answer.bytesSent).toBeLessThan(10 * MB);
    await expectAlive();
  });

  it.each([1, 10])("cuts a %i MB chunked body off at the limit with 413", async (megabytes) => {
    const ts = Math.floor(Date.now() / 1000);
    const answer = await rawRequest(
      t.bot.url,
      head("POST", "/slack/events", {
        "content-type": "application/json",
        "transfer-encoding": "chunked",
        "x-slack-request-timestamp": ts,
        "x-slack-signature": slackSignature(SIGNING_SECRET, ts, "irrelevant"),
      }),
      bodyPieces(megabytes * MB, 16 * 1024, true),
    );
    expect(answer.status).toBe(413);
    await expectAlive();
  });

  it.each([
    ["a form with no command", "user_id=U0ALICE&user_id=U0ALICE&text=help", "application/x-www-form-urlencoded"],
    ["JSON of no payload type", '{"type":"no_such_type","user":{"id":"U0ALICE"}}', "application/json"],
    ["an empty JSON object", "{}", "application/json"],
  ])(
    "answers a signed body Bolt cannot route (%s) with 400 at once, not after Bolt's 3 s timeout",
    async (_, body, type) => {
      const before = await footprint();
      const started = performance.now();
      const answer = await t.driver.post(body, type);
      expect(answer.status).toBe(400);
      expect(performance.now() - started).toBeLessThan(2_500);
      expect(await footprint()).toEqual(before);
    },
  );

  it("answers Slack's unsigned SSL check (ssl_check=1&token=…) as Bolt does, and nothing else unsigned", async () => {
    const before = await footprint();
    const form = "application/x-www-form-urlencoded";
    expect((await t.driver.post("ssl_check=1&token=xyz", form, {})).status).toBe(200);
    expect((await t.driver.post(`ssl_check=1&${slashHelp}`, form, {})).status).toBe(401);
    expect((await t.driver.post("ssl_check=1", "application/json", {})).status).toBe(401);
    expect((await t.driver.post(`ssl_check=1&token=${"x".repeat(600)}`, form, {})).status).toBe(401);
    await expectAlive();
    expect(await footprint()).toEqual(before);
  });

  it("refuses at once a signed payload whose workspace id is not a string (it stalled the event loop for 9 s)", async () => {
    const before = await footprint();
    const hostileKey = "x".repeat(60_000);
    const payload = {
      type: "view_submission",
      team: { id: { [hostileKey]: "x" } },
      user: { id: "U0ALICE", team_id: "T0PLAY" },
      view: { id: "V1", hash: "h", callback_id: "jit_deny", private_metadata: "{}", state: { values: {} } },
    };
    const started = performance.now();
    const answer = await t.driver.interact(payload);
    expect(answer.status).toBe(400);
    expect(performance.now() - started).toBeLessThan(2_500);
    await expectAlive();
    expect(await footprint()).toEqual(before);
  });

  it("still answers Slack after all of the above", async () => {
    const help = await t.driver.command("U0ALICE", "help");
    expect(help.status).toBe(200);
    expect(help.text).toContain("/jit request");
  });
});
