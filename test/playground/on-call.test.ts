import { readFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parsePolicy } from "../../src/config/load.js";
import { createLogger } from "../../src/logger.js";
import { TOKEN_HEADER } from "../../src/playground/guard.js";
import { type Playground, startPlayground } from "../../src/playground/server.js";
import { Store } from "../../src/store/index.js";
import { waitFor } from "../support/bot.js";
import { tempDir } from "../support/temp.js";

// The example policy's sample schedule (playground.onCall): Alice is on call for "Payments primary".
let playground: Playground;
let store: Store;
const tmp = tempDir("jitbot-playground-oncall-");

beforeAll(async () => {
  const policy = parsePolicy(readFileSync(new URL("../../jitbot.example.yaml", import.meta.url), "utf8"));
  store = await Store.open(join(tmp.dir, "playground.db"));
  // No PAGERDUTY_TOKEN: the playground answers from its sample schedule and asks no one.
  playground = await startPlayground({ policy, store, logger: createLogger("warn"), env: {}, port: 0, cron: false });
});
afterAll(async () => {
  await playground?.stop();
  await store?.close();
  tmp.cleanup();
});

async function api(path: string, body: object): Promise<Response> {
  return fetch(`${playground.url}/api/${path}`, {
    method: "POST",
    headers: { "content-type": "application/json", [TOKEN_HEADER]: playground.token },
    body: JSON.stringify(body),
  });
}

async function requestAsPersona(user: string, durationSeconds: number): Promise<void> {
  const before = playground.slack.views.size;
  expect((await api("command", { user, channel: "C0GENERAL", text: "request aks-prod-oncall" })).status).toBe(200);
  const view = await waitFor(() => [...playground.slack.views.values()][before], "the request modal");
  const select = (value: string) => ({
    value: { type: "static_select", selected_option: { value, text: { type: "plain_text", text: value } } },
  });
  const text = (value: string) => ({ value: { type: "plain_text_input", value } });
  const state = {
    profile: select("aks-prod-oncall"),
    duration: select(String(durationSeconds)),
    justification: text("Payments are failing, INC-7"),
    ticket: text("OPS-7"),
  };
  expect((await api("submit", { user, viewId: view.id, state })).status).toBe(200);
}

describe("the playground's sample PagerDuty schedule", () => {
  it("auto-approves Alice, who is on call for Payments primary, and offers approvers Revoke", async () => {
    await requestAsPersona("U0ALICE", 3600);
    const message = await waitFor(
      () => playground.slack.messagesIn("C0APPROVALS").find((m) => m.text.includes("auto-approved")),
      "the auto-approval message",
    );
    expect(message.text).toContain("auto-approved: <@U0ALICE> is on call for Payments primary (PagerDuty)");
    expect(JSON.stringify(message.blocks)).toContain("jit_revoke_auto");
  });

  it("sends Omar, who is not on that schedule, to the approvers", async () => {
    const before = playground.slack.messagesIn("C0APPROVALS").length;
    await requestAsPersona("U0OMAR", 3600);
    const message = await waitFor(() => playground.slack.messagesIn("C0APPROVALS")[before], "the approval message");
    expect(JSON.stringify(message.blocks)).toContain("jit_approve");
  });
});
