import { writeFileSync } from "node:fs";
import fc from "fast-check";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { signedHeaders } from "../../src/slack/signing.js";
import { SIGNING_SECRET, startTestBot, type TestBot, waitFor } from "../support/bot.js";
import { requestCount, violations } from "./invariants.js";
import { type FuzzInput, fuzzInput, liveIds, type RawRequest, rawRequest } from "./payloads.js";

/**
 * Thousands of mutated but correctly signed Slack payloads, and raw HTTP oddities, against the
 * real bot. JITBOT_FUZZ_RUNS sets how many (default keeps `npm test` near a minute on 2 cores);
 * JITBOT_FUZZ_SEED replays a run that failed.
 */
const RUNS = Number(process.env.JITBOT_FUZZ_RUNS ?? 5000);
const SEED = process.env.JITBOT_FUZZ_SEED ? Number(process.env.JITBOT_FUZZ_SEED) : undefined;
/** Slack's deadline for an answer; the bot must beat it for every input, however odd. */
const SLACK_DEADLINE_MS = 3000;
/** Vitest's budget for the run: generous, since a fuzz run is as long as its input count. */
/** An input still unanswered after this is a hang, reported with its counterexample. */
const HANG_MS = 10_000;
const RUN_TIMEOUT_MS = 60_000 + RUNS * 100;

let t: TestBot;
const crashes: string[] = [];
const onCrash = (kind: string) => (error: unknown) =>
  crashes.push(`${kind}: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`);
const onRejection = onCrash("unhandledRejection");
const onException = onCrash("uncaughtException");
const stats = {
  resets: 0,
  maxResetMs: 0,
  tried: 0,
  raw: 0,
  maxMs: 0,
  slowest: "",
  acceptedSubmissions: 0,
  byKind: new Map<string, number>(),
};
let seeded = 0;

beforeAll(async () => {
  process.on("unhandledRejection", onRejection);
  process.on("uncaughtException", onException);
  t = await startTestBot();
  // Live rows for the buttons to hit: pending requests, and one active grant.
  for (let i = 0; i < 3; i++) {
    const opened = t.slack.views.size;
    await t.driver.command("U0ALICE", "request aks-prod-sre");
    await waitFor(() => t.slack.views.size > opened, "the request form");
    const view = t.driver.lastView("U0ALICE");
    await t.driver.submit("U0ALICE", view, {
      profile: "aks-prod-sre",
      duration: "3600",
      justification: "Rotating the ingress certificate",
      ticket: "OPS-7",
    });
    await waitFor(async () => (await requestCount(t)) === i + 1, "the seeded request");
  }
  const ids = (await t.store.kysely.selectFrom("requests").select("id").execute()).map((r) => r.id);
  liveIds.push(...ids);
  const first = ids[0] ?? "";
  const approval = await waitFor(
    () => t.slack.messagesIn("C0APPROVALS").find((m) => m.text.includes(first)),
    "the seeded approval message",
  );
  await t.driver.click("U0LEAD", approval, "jit_approve");
  await waitFor(async () => (await t.store.requests.mustGet(first)).status === "active", "the seeded grant");
  seeded = await requestCount(t);
});

afterAll(async () => {
  process.off("unhandledRejection", onRejection);
  process.off("uncaughtException", onException);
  await t.close();
});

async function timed(label: string, send: () => Promise<Response>): Promise<{ status: number; text: string }> {
  let started = performance.now();
  const res = await send().catch(async (error: unknown) => {
    // A kept-alive socket the server reset instead of answering: an open finding (reported on
    // issue 12, not this suite's to fix). Counted and printed; the input is sent again and timed anew.
    if (!(error instanceof Error && error.cause instanceof Error && error.cause.message.includes("ECONNRESET"))) {
      throw new Error(`${label} got no answer: ${error instanceof Error ? error.message : String(error)}`);
    }
    stats.resets++;
    stats.maxResetMs = Math.max(stats.maxResetMs, performance.now() - started);
    started = performance.now();
    return send();
  });
  const text = await res.text();
  const ms = performance.now() - started;
  if (ms > stats.maxMs) {
    stats.maxMs = ms;
    stats.slowest = label;
  }
  expect(ms, `${label} answered after ${Math.round(ms)} ms`).toBeLessThan(SLACK_DEADLINE_MS);
  return { status: res.status, text };
}

function post(body: string, contentType: string) {
  return fetch(`${t.bot.url}/slack/events`, {
    method: "POST",
    headers: { "content-type": contentType, ...signedHeaders(SIGNING_SECRET, body) },
    body,
    signal: AbortSignal.timeout(HANG_MS),
  });
}

async function send(input: FuzzInput): Promise<void> {
  const label = input.kind === "command" ? "command" : input.label;
  stats.byKind.set(label, (stats.byKind.get(label) ?? 0) + 1);
  if (input.kind === "command") {
    await timed(label, () => post(input.body, "application/x-www-form-urlencoded"));
    return;
  }
  if (input.kind === "event") {
    await timed(label, () => post(JSON.stringify(input.payload), "application/json"));
    return;
  }
  const body = new URLSearchParams({ payload: JSON.stringify(input.payload) }).toString();
  const res = await timed(label, () => post(body, "application/x-www-form-urlencoded"));
  const view = input.payload.view as { callback_id?: unknown } | undefined;
  const isRequestForm = input.payload.type === "view_submission" && view?.callback_id === "jit_request";
  if (isRequestForm && res.status === 200 && res.text === "") stats.acceptedSubmissions++;
}

function sendRaw(raw: RawRequest) {
  stats.raw++;
  const now = Math.floor(Date.now() / 1000);
  const stamp = {
    good: now,
    "wrong-secret": now,
    missing: now,
    stale: now - 600,
    future: now + 600,
    "not-a-number": now,
  };
  const signed = signedHeaders(
    raw.signature === "wrong-secret" ? "not-the-secret" : SIGNING_SECRET,
    raw.body,
    stamp[raw.signature],
  );
  const headers: Record<string, string> = {
    ...(raw.contentType ? { "content-type": raw.contentType } : {}),
    ...(raw.signature === "missing" ? {} : signed),
    ...(raw.signature === "not-a-number" ? { "x-slack-request-timestamp": "soon" } : {}),
  };
  const hasBody = raw.method !== "GET" && raw.method !== "HEAD";
  return timed(`raw ${raw.method} ${raw.path}`, () =>
    fetch(`${t.bot.url}${raw.path}`, {
      method: raw.method,
      headers,
      ...(hasBody ? { body: raw.body } : {}),
      signal: AbortSignal.timeout(HANG_MS),
    }),
  );
}

describe("the Slack surface under fuzzing", () => {
  it(
    "stays up, answers every input within Slack's 3 s, and changes state only through valid paths",
    async () => {
      const anyInput = fc.oneof(
        { weight: 9, arbitrary: fuzzInput.map((input) => ({ raw: false as const, input })) },
        { weight: 1, arbitrary: rawRequest.map((input) => ({ raw: true as const, input })) },
      );
      const run = await fc.check(
        fc.asyncProperty(anyInput, async (item) => {
          stats.tried++;
          if (item.raw) await sendRaw(item.input);
          else await send(item.input);
          expect(crashes).toEqual([]);
        }),
        { numRuns: RUNS, ...(SEED === undefined ? {} : { seed: SEED }), endOnFailure: true },
      );
      // fast-check's own report prints the whole counterexample, 100 KB strings included.
      if (run.failed) {
        if (process.env.JITBOT_FUZZ_DUMP)
          writeFileSync(process.env.JITBOT_FUZZ_DUMP, JSON.stringify(run.counterexample));
        const example = JSON.stringify(run.counterexample).slice(0, 2000);
        throw new Error(`fuzz failed (JITBOT_FUZZ_SEED=${run.seed}): ${String(run.errorInstance)}\n${example}`);
      }
      await t.bot.engine.idle();
      expect((await fetch(`${t.bot.url}/healthz`)).status).toBe(200);
      expect(crashes).toEqual([]);
      expect(await violations(t)).toEqual([]);
      // A listener that threw past its guard: the person heard nothing. (A Slack API refusal of a
      // forged view or trigger id is "listener failed": the person got a sentence with a reference.)
      const listenerErrors = t.logs.filter((line) => line.includes("unhandled Slack listener error"));
      const refusedBySlack = t.logs.filter((line) => line.includes('"listener failed"')).length;
      expect(listenerErrors.slice(0, 5).map((line) => line.slice(0, 400))).toEqual([]);
      console.log(
        `fuzz: ${stats.tried} inputs (${stats.raw} raw HTTP), ${[...stats.byKind].map(([k, n]) => `${k} ${n}`).join(", ")}; ` +
          `slowest answer ${Math.round(stats.maxMs)} ms (${stats.slowest}); crashes ${crashes.length}; connection resets ${stats.resets} (after up to ${Math.round(stats.maxResetMs)} ms); Slack API refusals told to the clicker ${refusedBySlack}; ` +
          `requests ${await requestCount(t)} (seeded ${seeded}, accepted submissions ${stats.acceptedSubmissions})`,
      );
    },
    RUN_TIMEOUT_MS,
  );

  it("files requests only through accepted submissions", async () => {
    // Work after the ack (filing, posting) has settled once the bot stops; the store is still open.
    await t.bot.stop(5_000);
    expect(await requestCount(t)).toBeLessThanOrEqual(seeded + stats.acceptedSubmissions);
    expect(await violations(t)).toEqual([]);
  });
});
