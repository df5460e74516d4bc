/**
 * Approver step-up in the playground (dry run: nothing changes in Entra or AWS, but the sign-in is
 * real OIDC). With JITBOT_PUBLIC_URL and an Entra app in the environment (here a fake Entra), the
 * Approve click answers with the sign-in link and the sign-in records the approval; without them
 * the click says, in one sentence, what is missing.
 */
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { createLogger } from "../../src/logger.js";
import { type Playground, startPlayground } from "../../src/playground/server.js";
import { Store } from "../../src/store/index.js";
import { type FakeEntraOidc, startFakeEntraOidc } from "../fakes/entra-oidc.js";
import type { FakeGraph } from "../fakes/graph-server.js";
import {
  browse,
  CLIENT_ID,
  CLIENT_SECRET,
  LEE,
  PUBLIC_URL,
  REDIRECT_URI,
  sentenceOf,
  startDirectory,
  stepUpPolicy,
  TENANT_ID,
} from "../stepup/harness.js";
import { waitFor } from "../support/bot.js";
import { tempDir } from "../support/temp.js";
import { approveClick, rawRequest } from "./attack.js";

const tmp = tempDir("jitbot-playground-step-up-");
const running: { playground: Playground; store: Store }[] = [];
let oidc: FakeEntraOidc | undefined;
let graph: FakeGraph | undefined;
afterAll(async () => {
  await graph?.close();
  for (const { playground, store } of running) {
    await playground.stop();
    await store.close();
  }
  await oidc?.close();
  tmp.cleanup();
});

async function start(env: NodeJS.ProcessEnv): Promise<{ playground: Playground; store: Store }> {
  const store = await Store.open(join(tmp.dir, `playground-${running.length}.db`));
  const logger = createLogger("warn", { write: () => {} });
  const playground = await startPlayground({
    policy: stepUpPolicy(),
    store,
    logger,
    env,
    port: 0,
    host: "127.0.0.1",
    cron: false,
  });
  running.push({ playground, store });
  return { playground, store };
}

/** Alice files a request; Lee clicks Approve through the playground page's own API. */
async function approveAsLee(playground: Playground, store: Store, reason: string) {
  await playground.bot.service.submit("U0ALICE", {
    profileId: "aks-prod-sre",
    durationSeconds: 3600,
    justification: reason,
    ticket: "",
  });
  await waitFor(
    async () => (await store.requests.listByStatus("pending")).some((r) => r.approvalTs),
    "the approval message",
  );
  const click = await approveClick(playground, store, reason, "U0LEAD");
  const answer = await rawRequest(playground.port, "/playground/api/action", {
    method: "POST",
    headers: {
      host: `127.0.0.1:${playground.port}`,
      origin: `http://127.0.0.1:${playground.port}`,
      "sec-fetch-site": "same-origin",
      "content-type": "application/json",
      "x-playground-token": playground.token,
    },
    body: click.body,
  });
  expect(answer.status, answer.body).toBe(200);
  const ephemeral = await waitFor(() => playground.slack.ephemeralsFor("U0LEAD").at(-1), "Lee's private answer");
  return { requestId: click.requestId, text: ephemeral.text };
}

describe("approver step-up in the playground", () => {
  it("gives the sign-in link and records the approval after the sign-in", async () => {
    oidc = await startFakeEntraOidc({
      tenantId: TENANT_ID,
      clientId: CLIENT_ID,
      clientSecret: CLIENT_SECRET,
      redirectUris: [REDIRECT_URI],
      now: () => new Date(),
    });
    // The directory step-up checks the signed-in account's object id against (Graph, User.Read.All).
    graph = await startDirectory();
    const { playground, store } = await start({
      GRAPH_BASE_URL: graph.baseUrl,
      JITBOT_PUBLIC_URL: PUBLIC_URL,
      AZURE_AUTHORITY_HOST: oidc.authority,
      AZURE_TENANT_ID: TENANT_ID,
      JITBOT_STEPUP_CLIENT_ID: CLIENT_ID,
      JITBOT_STEPUP_CLIENT_SECRET: CLIENT_SECRET,
    });
    expect(playground.dryRun).toBe(true);
    const { requestId, text } = await approveAsLee(playground, store, "trying step-up in the playground");
    const link = /<(https:\/\/jitbot\.test\/stepup\/start\?state=[A-Za-z0-9_-]+)\|/.exec(text)?.[1];
    expect(text).toContain("Confirm it's you");
    oidc.signInAs = LEE;
    const visit = await browse(playground, link ?? "");
    expect(sentenceOf(visit)).toBe(`Your approval of ${requestId} is recorded; you can close this page.`);
    await waitFor(async () => (await store.requests.mustGet(requestId)).status === "active", "the dry-run grant");
  });

  it("says what is missing when the playground has no Entra app for the sign-in", async () => {
    const { playground, store } = await start({});
    const { requestId, text } = await approveAsLee(playground, store, "step-up without an Entra app");
    expect(text).toBe(
      "You can't decide on this request: an approval of this profile needs an Entra ID sign-in, and this jitbot is not set up for it (JITBOT_PUBLIC_URL and the Entra app); tell jitbot's operators.",
    );
    expect((await store.requests.mustGet(requestId)).status).toBe("pending");
  });
});
