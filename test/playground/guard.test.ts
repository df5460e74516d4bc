import { readFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parsePolicy } from "../../src/config/load.js";
import { createLogger } from "../../src/logger.js";
import { type Playground, startPlayground } from "../../src/playground/server.js";
import { Store } from "../../src/store/index.js";
import { waitFor } from "../support/bot.js";
import { tempDir } from "../support/temp.js";
import { type ApproveClick, approveClick, rawRequest } from "./attack.js";

// Another web page must not drive the playground: each refusal below is what a cross-site page, a
// DNS-rebinding page or a careless script would send, over raw HTTP so every header is as written.
let playground: Playground;
let store: Store;
let click: ApproveClick;
const tmp = tempDir("jitbot-playground-guard-");
const REASON = "checking the playground's guard";

/** Headers of the page's own call: what every refusal below takes one thing away from. */
function pageHeaders(): Record<string, string> {
  return {
    host: `127.0.0.1:${playground.port}`,
    origin: `http://127.0.0.1:${playground.port}`,
    "sec-fetch-site": "same-origin",
    "content-type": "application/json",
    "x-playground-token": playground.token,
  };
}

async function api(path: string, body: unknown): Promise<void> {
  const answer = await rawRequest(playground.port, `/playground/api/${path}`, {
    method: "POST",
    headers: pageHeaders(),
    body: JSON.stringify(body),
  });
  expect(answer.status, answer.body).toBe(200);
}

/** The modal's own initial values, as the page would send them back on Submit. */
function initialState(blocks: unknown[]): Record<string, Record<string, unknown>> {
  const state: Record<string, Record<string, unknown>> = {};
  for (const block of blocks as { type: string; block_id?: string; element?: Record<string, unknown> }[]) {
    const element = block.element;
    if (block.type !== "input" || !block.block_id || !element || typeof element.action_id !== "string") continue;
    const option = element.initial_option as { value: string; text: { text: string } } | undefined;
    state[block.block_id] = {
      [element.action_id]: String(element.type).endsWith("select")
        ? {
            type: element.type,
            selected_option: option
              ? { value: option.value, text: { type: "plain_text", text: option.text.text } }
              : null,
          }
        : { type: element.type, value: typeof element.initial_value === "string" ? element.initial_value : null },
    };
  }
  return state;
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
    logger: createLogger("silent"),
    env: {},
    port: 0,
    host: "127.0.0.1",
    cron: false,
  });
  // Alice files a request through the page's API, as the page itself would.
  await api("command", { user: "U0ALICE", channel: "C0GENERAL", text: `/jit request aks-prod-dev 1h ${REASON}` });
  const modal = await waitFor(() => playground.workspace.openModal("U0ALICE"), "the request modal");
  await api("submit", { user: "U0ALICE", viewId: modal.id, state: initialState(modal.view.blocks as unknown[]) });
  await waitFor(
    async () => (await store.requests.listByStatus("pending")).find((r) => r.approvalTs),
    "the approval message",
  );
  click = await approveClick(playground, store, REASON, "U0LEAD");
});

afterAll(async () => {
  await playground?.stop();
  await store?.close();
  tmp.cleanup();
});

const unchanged = async () => {
  expect((await store.requests.mustGet(click.requestId)).status).toBe("pending");
  expect(await store.requests.approvals(click.requestId)).toEqual([]);
};

describe("the playground refuses what another page could send", () => {
  const port = () => playground.port;
  /** Each case changes the page's own headers: a value replaces one, `undefined` leaves it out. */
  const refusals: { what: string; status: number; set: () => Record<string, string | undefined> }[] = [
    {
      what: "a Host naming another site (DNS rebinding: attacker.example resolved to 127.0.0.1)",
      status: 421,
      set: () => ({ host: `attacker.example:${port()}`, origin: `http://attacker.example:${port()}` }),
    },
    { what: "a Host with the right name but another port", status: 421, set: () => ({ host: "127.0.0.1:1" }) },
    { what: "no token", status: 403, set: () => ({ "x-playground-token": undefined }) },
    { what: "a wrong token", status: 403, set: () => ({ "x-playground-token": "a".repeat(43) }) },
    {
      what: "a text/plain body (what a no-cors fetch or a form can send)",
      status: 415,
      set: () => ({ "content-type": "text/plain;charset=UTF-8" }),
    },
    {
      what: "a form's urlencoded body",
      status: 415,
      set: () => ({ "content-type": "application/x-www-form-urlencoded" }),
    },
    {
      what: "a cross-site Origin",
      status: 403,
      set: () => ({ origin: "https://attacker.example", "sec-fetch-site": undefined }),
    },
    {
      what: "an Origin on another port of 127.0.0.1",
      status: 403,
      set: () => ({ origin: "http://127.0.0.1:1", "sec-fetch-site": undefined }),
    },
    {
      what: "Sec-Fetch-Site: cross-site",
      status: 403,
      set: () => ({ "sec-fetch-site": "cross-site", origin: undefined }),
    },
    {
      what: "Sec-Fetch-Site: same-site (a page on another port of 127.0.0.1)",
      status: 403,
      set: () => ({ "sec-fetch-site": "same-site", origin: undefined }),
    },
  ];

  it.each(refusals)("refuses an approval with $what, with one sentence, and changes nothing", async (refusal) => {
    const headers = pageHeaders();
    for (const [name, value] of Object.entries(refusal.set())) {
      if (value === undefined) delete headers[name];
      else headers[name] = value;
    }
    const answer = await rawRequest(playground.port, "/playground/api/action", {
      method: "POST",
      headers,
      body: click.body,
    });
    expect(answer.status).toBe(refusal.status);
    expect(answer.body.trim().split("\n")).toHaveLength(1);
    expect((JSON.parse(answer.body) as { error: string }).error).toMatch(/\w+ .+/);
    await unchanged();
  });

  it("refuses a DNS-rebinding read of the page and the state with 421", async () => {
    const host = `attacker.example:${playground.port}`;
    const page = await rawRequest(playground.port, "/playground", { headers: { host } });
    expect(page.status).toBe(421);
    expect(page.contentType).toMatch(/^text\/plain/);
    expect(page.body).not.toContain(playground.token);
    expect(page.body.trim().split("\n")).toHaveLength(1);
    const state = await rawRequest(playground.port, "/playground/api/state?as=U0LEAD", {
      headers: { host, "x-playground-token": playground.token },
    });
    expect(state.status).toBe(421);
    expect(state.body).not.toContain("Alice");
  });

  it("refuses reads of the state and the event stream without the token", async () => {
    const host = `127.0.0.1:${playground.port}`;
    for (const path of [
      "/playground/api/state?as=U0LEAD",
      "/playground/api/events",
      "/playground/api/events?token=x",
    ]) {
      const answer = await rawRequest(playground.port, path, { headers: { host } });
      expect(answer.status, path).toBe(403);
      expect(answer.body, path).not.toMatch(/Alice|U0ALICE|aks-prod/);
    }
    // The token goes in a header: a query string is only for the stream, which EventSource opens.
    const query = await rawRequest(playground.port, `/playground/api/state?as=U0LEAD&token=${playground.token}`, {
      headers: { host },
    });
    expect(query.status).toBe(403);
  });

  it("serves the page with its token to each address it listens on", async () => {
    for (const host of [`127.0.0.1:${playground.port}`, `localhost:${playground.port}`, `[::1]:${playground.port}`]) {
      const page = await rawRequest(playground.port, "/playground", { headers: { host } });
      expect(page.status, host).toBe(200);
      expect(page.body).toContain(`<meta name="playground-token" content="${playground.token}" />`);
    }
    expect(playground.token).toMatch(/^[\w-]{43}$/);
  });

  it("still lets the page's own call approve, last of all", async () => {
    const answer = await rawRequest(playground.port, "/playground/api/action", {
      method: "POST",
      headers: pageHeaders(),
      body: click.body,
    });
    expect(answer.status, answer.body).toBe(200);
    await waitFor(async () => (await store.requests.approvals(click.requestId)).length > 0, "Lee's approval");
    // Absent Origin and Sec-Fetch-Site (curl, a script) are fine when the token and JSON are there.
    const { origin: _o, "sec-fetch-site": _s, ...bare } = pageHeaders();
    const state = await rawRequest(playground.port, "/playground/api/state?as=U0LEAD", { headers: bare });
    expect(state.status).toBe(200);
  });
});
