import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { FakeSlackWebApi } from "../../src/playground/slack-web-api.js";

// The playground's page API finds a message by channel and ts and a modal by view id: ids that
// count up would let a caller name what it was never shown. Slack's own shapes are kept.
const slack = new FakeSlackWebApi([{ id: "U0ALICE", name: "Alice" }], "xoxb-ids");
let api = "";

async function call(method: string, args: Record<string, unknown>): Promise<Record<string, unknown>> {
  const res = await fetch(`${api}${method}`, {
    method: "POST",
    headers: { authorization: `Bearer ${slack.token}`, "content-type": "application/json; charset=utf-8" },
    body: JSON.stringify(args),
  });
  const body = (await res.json()) as Record<string, unknown>;
  expect(body.ok, JSON.stringify(body)).toBe(true);
  return body;
}

const view = { type: "modal", title: { type: "plain_text", text: "t" }, blocks: [] };

beforeAll(async () => {
  api = await slack.listen(0);
});

afterAll(() => slack.close());

describe("ids the playground's Slack hands out", () => {
  it("gives messages random timestamps in Slack's shape", async () => {
    const stamps: string[] = [];
    for (let i = 0; i < 40; i++)
      stamps.push(String((await call("chat.postMessage", { channel: "C0X", text: "hi" })).ts));
    for (const ts of stamps) expect(ts).toMatch(/^\d{10}\.\d{6}$/);
    expect(new Set(stamps).size).toBe(stamps.length);
    // A counter's fractions run 1, 2, 3…; random ones are not in order (1 chance in 40! to be).
    const fractions = stamps.map((ts) => Number(ts.split(".")[1]));
    expect(fractions).not.toEqual([...fractions].sort((a, b) => a - b));
  });

  it("gives views random ids and a fresh random hash on each update", async () => {
    const ids: string[] = [];
    for (let i = 0; i < 20; i++) {
      const opened = (await call("views.open", { trigger_id: `U0ALICE.${i}`, view })).view as { id: string };
      ids.push(opened.id);
    }
    for (const id of ids) expect(id).toMatch(/^V[0-9A-Z]{14}$/);
    expect(new Set(ids).size).toBe(ids.length);
    const first = slack.views.get(ids[0] ?? "");
    const before = first?.hash;
    await call("views.update", { view_id: ids[0], view });
    expect(first?.hash).not.toBe(before);
    expect(first?.hash).toMatch(/^\d+\.[0-9a-f]{16}$/);
  });

  it("gives the App Home a random id that stays the same across publishes", async () => {
    const one = (await call("views.publish", { user_id: "U0ALICE", view: { type: "home", blocks: [] } })).view as {
      id: string;
    };
    const two = (await call("views.publish", { user_id: "U0ALICE", view: { type: "home", blocks: [] } })).view as {
      id: string;
    };
    expect(one.id).toMatch(/^V[0-9A-Z]{14}$/);
    expect(two.id).toBe(one.id);
    expect(slack.homeIdOf("U0ALICE")).toBe(one.id);
  });
});
