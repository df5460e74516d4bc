import { readFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parsePolicy } from "../../src/config/load.js";
import { createLogger } from "../../src/logger.js";
import { type Playground, startPlayground } from "../../src/playground/server.js";
import { Store } from "../../src/store/index.js";
import { tempDir } from "../support/temp.js";
import { approveClick } from "./attack.js";
import { attackerPage, startAttackerSite } from "./attacker-site.js";
import { type OpenBrowser, openBrowser, Person, REBOUND_HOST } from "./browser.js";
import { saveReadmeScreenshot } from "./readme-screenshot.js";

// One story, in order, as a person would try the playground: each step builds on the one before.
let playground: Playground;
let store: Store;
let browser: OpenBrowser;
let me: Person;
const tmp = tempDir("jitbot-playground-test-");
const logs: string[] = [];

beforeAll(async () => {
  const policy = parsePolicy(
    readFileSync(new URL("../../jitbot.example.yaml", import.meta.url), "utf8"),
    "jitbot.example.yaml",
  );
  store = await Store.open(join(tmp.dir, "playground.db"));
  const logger = createLogger("warn", { write: (line: string) => void logs.push(line) });
  // No cloud credentials in env: the playground must pick dry-run providers on its own.
  playground = await startPlayground({ policy, store, logger, env: {}, port: 0, host: "127.0.0.1", cron: false });
  browser = await openBrowser();
  me = new Person(browser.page);
  await browser.page.goto(`${playground.url}?as=U0ALICE`);
  await browser.page.waitForSelector("body[data-ready=true]");
});

afterAll(async () => {
  await browser?.close();
  await playground?.stop();
  await store?.close();
  tmp.cleanup();
});

describe("the playground in a real browser", () => {
  it("starts in dry-run mode with the policy's people", async () => {
    expect(playground.dryRun).toBe(true);
    const names = await browser.page.locator(".persona-name").allTextContents();
    expect(names).toEqual(["Alice Requester", "Lee Lead", "Omar Oncall", "Eve Outsider"]);
  });

  it("opens the request modal prefilled from /jit request", async () => {
    await me.type("/jit request aks-prod-sre 2h fixing the ingress controller");
    const modal = browser.page.locator(".modal");
    await modal.waitFor();
    expect(await modal.locator(".modal-title").textContent()).toBe("Request access");
    const field = (block: string) => modal.locator(`[data-input][data-block-id="${block}"]`);
    expect(await field("profile").inputValue()).toBe("aks-prod-sre");
    expect(await field("duration").inputValue()).toBe("7200");
    expect(await field("justification").inputValue()).toBe("fixing the ingress controller");
    await browser.screenshot("01-request-modal");
  });

  it("shows the bot's validation error under the justification", async () => {
    const modal = browser.page.locator(".modal");
    await modal.locator('[data-input][data-block-id="justification"]').fill("short");
    await modal.locator('[data-modal="submit"]').click();
    const error = modal.locator('.input-block[data-block-id="justification"] .input-error');
    await error.waitFor();
    expect(await error.textContent()).toMatch(/at least 10 characters/);
    await browser.screenshot("02-validation-error");
  });

  it("files the request and posts Approve/Deny in the approval channel", async () => {
    const modal = browser.page.locator(".modal");
    await modal.locator('[data-input][data-block-id="justification"]').fill("fixing the ingress controller");
    await modal.locator('[data-input][data-block-id="ticket"]').fill("OPS-42");
    await modal.locator('[data-modal="submit"]').click();
    await modal.waitFor({ state: "detached" });
    await me.open("C0APPROVALS");
    const request = await me.message("fixing the ingress controller");
    expect(await request.locator("h3.header").textContent()).toMatch(/^Access request · JR-/);
    expect(await request.textContent()).toContain("@Alice Requester");
  });

  it("lets Lee approve in the channel after the confirm dialog", async () => {
    await me.become("U0LEAD");
    const request = await me.message("fixing the ingress controller");
    await request.locator('button[data-action-id="jit_approve"]').click();
    const confirm = browser.page.locator(".confirm");
    await confirm.waitFor();
    expect(await confirm.textContent()).toContain("Approve access?");
    await browser.screenshot("03-approve-confirm");
    await confirm.locator('[data-confirm="confirm"]').click();
    await browser.page.locator(".message", { hasText: "— access granted" }).waitFor();
    expect(await request.locator('button[data-action-id="jit_approve"]').count()).toBe(0);
    await browser.screenshot("04-approved-in-channel");
  });

  it("sends Alice a DM with the connect steps and the dry-run note", async () => {
    await me.become("U0ALICE");
    await me.open("DU0ALICE");
    const dm = await me.message("Access granted");
    const text = (await dm.textContent()) ?? "";
    expect(text).toContain("az aks get-credentials --resource-group rg-prod --name prod-aks");
    expect(text).toContain("would add alice@contoso.com to Entra group 6f1c2a9e-1b7d-4f3a-9c1e-2d5b8a7f4e10 for 2h");
    expect(text).toMatch(/dry-run mode/);
    expect(await dm.locator("pre.code-block").count()).toBeGreaterThan(0);
    await browser.screenshot("05-alice-dm");
    if (process.env.PLAYGROUND_README_SCREENSHOT) await saveReadmeScreenshot(browser.page, me);
  });

  it("answers /jit help with an ephemeral only Alice sees", async () => {
    await me.type("/jit help");
    const help = await me.message("Profiles you can request");
    expect(await help.locator(".only-you").textContent()).toBe("Only visible to you");
  });

  it("refuses Eve's Approve click with an ephemeral and changes nothing", async () => {
    await me.open("C0GENERAL");
    // Typed markup and a forged mention must arrive as text: the bot escapes it, the page never parses it.
    await me.type("/jit request aks-prod-dev 1h second request for the refusal check <b>x</b> <@U0LEAD>");
    const modal = browser.page.locator(".modal");
    await modal.waitFor();
    await modal.locator('[data-modal="submit"]').click();
    await modal.waitFor({ state: "detached" });
    await me.become("U0EVE");
    await me.open("C0APPROVALS");
    const request = await me.message("second request for the refusal check");
    expect(await request.locator("blockquote").textContent()).toBe(
      "second request for the refusal check <b>x</b> <@U0LEAD>",
    );
    expect(await request.locator("blockquote b, blockquote .mention").count()).toBe(0);
    await request.locator('button[data-action-id="jit_approve"]').click();
    await browser.page.locator('.confirm [data-confirm="confirm"]').click();
    const refusal = await me.message("You can't decide on this request");
    expect(await refusal.locator(".only-you").count()).toBe(1);
    expect(await request.locator('button[data-action-id="jit_approve"]').count()).toBe(1);
    await browser.screenshot("06-eve-refused");
    // Lee sees no trace of Eve's refusal: ephemerals belong to one person.
    await me.become("U0LEAD");
    await me.message("second request for the refusal check");
    expect(await browser.page.locator(".message", { hasText: "You can't decide" }).count()).toBe(0);
  });

  it("lets a page on another origin neither approve nor read, and nothing changes", async () => {
    const click = await approveClick(playground, store, "second request for the refusal check", "U0LEAD");
    const origin = `http://127.0.0.1:${playground.port}`;
    const site = await startAttackerSite(() => attackerPage(origin, click.body));
    const attacker = await browser.page.context().newPage();
    const answers: string[] = [];
    attacker.on("response", (response) => {
      const url = new URL(response.url());
      if (url.origin === origin) answers.push(`${response.request().method()} ${url.pathname} ${response.status()}`);
    });
    // A read the browser blocks for want of CORS headers reaches no script, nor Playwright's "response".
    const blocked: string[] = [];
    attacker.on("requestfailed", (failed) => {
      const url = new URL(failed.url());
      if (url.origin === origin && failed.method() === "GET") blocked.push(url.pathname);
    });
    try {
      await attacker.goto(site.url);
      const seen = await attacker.evaluate(
        () => (window as unknown as { attack: Promise<Record<string, string>> }).attack,
      );
      // The browser sent all three changes; the playground refused each before the bot saw it.
      expect(seen).toMatchObject({ noCors: "opaque", noCorsJson: "opaque", form: "posted" });
      expect(seen.read).toMatch(/^blocked/);
      expect(blocked).toEqual(["/playground/api/state"]);
      expect(answers).toEqual([
        "POST /playground/api/action 403",
        "POST /playground/api/action 403",
        "POST /playground/api/action 403",
      ]);
    } finally {
      await attacker.close();
      await site.close();
    }
    expect((await store.requests.mustGet(click.requestId)).status).toBe("pending");
    expect(await store.requests.approvals(click.requestId)).toEqual([]);
    const request = await me.message("second request for the refusal check");
    expect(await request.locator('button[data-action-id="jit_approve"]').count()).toBe(1);
  });

  it("refuses the page and its state under a DNS-rebound name", async () => {
    const rebound = await browser.page.context().newPage();
    try {
      const page = await rebound.goto(`http://${REBOUND_HOST}:${playground.port}/playground?as=U0LEAD`);
      expect(page?.status()).toBe(421);
      expect(await page?.text()).not.toContain(playground.token);
      // Same-origin to the rebound page, so the browser would let it read whatever came back.
      const state = await rebound.evaluate(async () => {
        const res = await fetch("/playground/api/state?as=U0LEAD");
        return { status: res.status, body: await res.text() };
      });
      expect(state.status).toBe(421);
      expect(state.body).not.toMatch(/Alice|U0ALICE|second request/);
    } finally {
      await rebound.close();
    }
  });

  it("shows the App Home the bot publishes", async () => {
    await me.become("U0ALICE");
    await me.open("home");
    await browser.page.locator("#timeline .blocks").waitFor();
    expect(await browser.page.locator("#timeline").textContent()).toContain("AKS prod — SRE namespace");
    await browser.screenshot("07-app-home");
  });

  it("grants the sample bundle on one approval: both profiles' steps in one DM", async () => {
    await me.become("U0ALICE");
    // App Home has no composer: commands are typed in a conversation.
    await me.open("C0GENERAL");
    await me.type("/jit request incident-prod 1h investigating the checkout outage");
    const modal = browser.page.locator(".modal");
    await modal.waitFor();
    await modal.locator('[data-input][data-block-id="ticket"]').fill("OPS-43");
    await modal.locator('[data-modal="submit"]').click();
    await modal.waitFor({ state: "detached" });
    // Lee approves both of its profiles, so his one approval satisfies both approver sets.
    await me.become("U0LEAD");
    await me.open("C0APPROVALS");
    const request = await me.message("investigating the checkout outage");
    expect(await request.textContent()).toContain("entra-group + aws-role");
    await request.locator('button[data-action-id="jit_approve"]').click();
    await browser.page.locator(".confirm").waitFor();
    await browser.page.locator('.confirm [data-confirm="confirm"]').click();
    await browser.page
      .locator(".message", { hasText: "investigating the checkout outage" })
      .filter({ hasText: "— access granted" })
      .waitFor();
    await me.become("U0ALICE");
    await me.open("DU0ALICE");
    const dm = await me.message("Access granted: Prod incident (AKS + EKS)");
    const text = (await dm.textContent()) ?? "";
    expect(text).toContain("Part 1 of 2: aks-prod-sre (entra-group)");
    expect(text).toContain("Part 2 of 2: eks-pod-manager (aws-role)");
    expect(text).toContain("would AssumeRole arn:aws:iam::123456789012:role/EKS-Pod-Manager as alice@contoso.com");
  });

  it("had no console errors on the page", () => {
    expect(browser.problems).toEqual([]);
    expect(logs.filter((line) => /"level":50/.test(line))).toEqual([]);
  });
});
