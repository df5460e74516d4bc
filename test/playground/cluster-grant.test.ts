/**
 * The sample policy's kubernetes-rolebinding profile in the playground, dry-run: the page's own API
 * (with its token, as the page calls it) files, approves and lists it; nothing reaches a cluster.
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parsePolicy } from "../../src/config/load.js";
import { createLogger } from "../../src/logger.js";
import { type Playground, startPlayground } from "../../src/playground/server.js";
import { Store } from "../../src/store/index.js";
import { tempDir } from "../support/temp.js";
import { approveClick } from "./attack.js";

let playground: Playground;
let store: Store;
const tmp = tempDir("jitbot-playground-kube-");
const JUSTIFICATION = "draining the payments queue after the incident";

async function api(path: string, body?: unknown): Promise<{ status: number; json: Record<string, unknown> }> {
  const res = await fetch(`${playground.url}/api/${path}`, {
    method: body === undefined ? "GET" : "POST",
    headers: { "x-playground-token": playground.token, "content-type": "application/json" },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  return { status: res.status, json: (await res.json()) as Record<string, unknown> };
}

type Block = { type: string; block_id?: string; element?: Record<string, unknown> };

/** What the page sends as `state`: each input's initial value, as Slack's `view.state.values`. */
function stateOf(view: { blocks: Block[] }): Record<string, Record<string, unknown>> {
  const state: Record<string, Record<string, unknown>> = {};
  for (const block of view.blocks) {
    const element = block.element;
    if (block.type !== "input" || !block.block_id || !element) continue;
    const actionId = String(element.action_id);
    const type = String(element.type);
    state[block.block_id] = {
      [actionId]:
        type === "plain_text_input"
          ? { type, value: (element.initial_value as string | undefined) ?? null }
          : { type, selected_option: element.initial_option ?? null },
    };
  }
  return state;
}

async function snapshot(user: string) {
  return (await api(`state?as=${user}`)).json as {
    modal?: { id: string; view: { blocks: Block[] } };
    conversations: { id: string; messages: { text: string; blocks?: unknown[] }[] }[];
    home?: unknown;
  };
}

beforeAll(async () => {
  const policy = parsePolicy(
    readFileSync(new URL("../../jitbot.example.yaml", import.meta.url), "utf8"),
    "jitbot.example.yaml",
  );
  store = await Store.open(join(tmp.dir, "playground.db"));
  playground = await startPlayground({
    policy,
    store,
    logger: createLogger("warn", { write: () => {} }),
    env: {},
    port: 0,
    host: "127.0.0.1",
    cron: false,
  });
});

afterAll(async () => {
  await playground?.stop();
  await store?.close();
  tmp.cleanup();
});

describe("a cluster-enforced profile in the playground (dry run)", () => {
  it("is requested, approved and described as the binding it would create", async () => {
    expect(playground.dryRun).toBe(true);
    const typed = `/jit request aks-prod-payments 2h ${JUSTIFICATION}`;
    expect((await api("command", { user: "U0ALICE", channel: "C0GENERAL", text: typed })).status).toBe(200);
    // The bot opens the form after its ack, as with Slack.
    await expect.poll(async () => (await snapshot("U0ALICE")).modal).toBeDefined();
    const modal = (await snapshot("U0ALICE")).modal;
    if (!modal) throw new Error("the request form did not open");
    const submitted = await api("submit", { user: "U0ALICE", viewId: modal.id, state: stateOf(modal.view) });
    expect(submitted).toEqual({ status: 200, json: { status: 200 } });

    // Filed, and its approval message posted (the bot stores the message's ts after posting it).
    await expect
      .poll(async () =>
        (await store.requests.listByStatus("pending")).some((r) => r.justification === JUSTIFICATION && r.approvalTs),
      )
      .toBe(true);
    const click = await approveClick(playground, store, JUSTIFICATION, "U0LEAD");
    expect((await api("action", JSON.parse(click.body))).status).toBe(200);
    await expect.poll(async () => (await store.grants.get(click.requestId))?.status).toBe("active");
    expect((await store.requests.get(click.requestId))?.status).toBe("active");
    const dm = async () => JSON.stringify((await snapshot("U0ALICE")).conversations.find((c) => c.id === "DU0ALICE"));
    await expect
      .poll(dm)
      .toContain("would bind alice@contoso.com to ClusterRole edit in namespace payments on prod-aks for 2h");
    expect(await dm()).toMatch(/dry-run mode/);
  });

  it("shows the grant as enforced by the cluster in /jit list and on App Home", async () => {
    await api("command", { user: "U0ALICE", channel: "C0GENERAL", text: "/jit list" });
    const general = (await snapshot("U0ALICE")).conversations.find((c) => c.id === "C0GENERAL");
    const list = JSON.stringify(general?.messages.filter((m) => m.text === "Your jitbot access").at(-1));
    expect(list).toContain("AKS prod — payments (enforced by the cluster)");
    expect(list).toMatch(
      /\d+h(\d+m)? left \(enforced by the cluster: ends at <!date\^\d+\^\{time_secs\}\|\d\d:\d\d:\d\d UTC>\)/,
    );

    expect((await api("home", { user: "U0ALICE" })).status).toBe(200);
    await expect
      .poll(async () => JSON.stringify((await snapshot("U0ALICE")).home))
      .toContain("enforced by the cluster: ends at");
  });
});
