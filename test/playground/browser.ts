import { existsSync, mkdirSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { chromium, type Page } from "playwright-core";

export const CHROMIUM = "/usr/bin/chromium";
/** A name the browser resolves to 127.0.0.1, like a DNS-rebinding attacker's after the switch. */
export const REBOUND_HOST = "attacker.example";
export const ARTIFACTS = new URL("../artifacts/playground/", import.meta.url);

export interface OpenBrowser {
  page: Page;
  /** Console errors and uncaught exceptions seen on the page. */
  problems: string[];
  screenshot(name: string): Promise<void>;
  close(): Promise<void>;
}

/**
 * Debian's chromium, headless, with a profile of its own that is removed afterwards.
 * `attacker.example` resolves to 127.0.0.1, as it would once a DNS-rebinding attacker switched it:
 * no lookup leaves the machine.
 */
export async function openBrowser(): Promise<OpenBrowser> {
  if (!existsSync(CHROMIUM)) throw new Error(`${CHROMIUM} is missing: apt-get install -y chromium`);
  const profile = mkdtempSync(join(tmpdir(), "jitbot-chromium-"));
  mkdirSync(ARTIFACTS, { recursive: true });
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM,
    headless: true,
    viewport: { width: 1280, height: 800 },
    args: [
      "--no-sandbox",
      "--disable-gpu",
      "--disable-dev-shm-usage",
      "--disable-background-networking",
      "--disable-component-update",
      "--disable-sync",
      "--no-first-run",
      `--host-resolver-rules=MAP ${REBOUND_HOST} 127.0.0.1`,
    ],
  });
  const page = context.pages()[0] ?? (await context.newPage());
  const problems: string[] = [];
  page.on("console", (message) => {
    if (message.type() === "error") problems.push(`console: ${message.text()}`);
  });
  page.on("response", (response) => {
    if (response.status() >= 400) problems.push(`HTTP ${response.status()} for ${response.url()}`);
  });
  page.on("pageerror", (error) => problems.push(`page error: ${error.message}`));
  return {
    page,
    problems,
    async screenshot(name) {
      await page.screenshot({ path: new URL(`${name}.png`, ARTIFACTS).pathname });
    },
    async close() {
      await context.close();
      rmSync(profile, { recursive: true, force: true });
    },
  };
}

/** Gestures a person makes on the playground page. */
export class Person {
  constructor(private readonly page: Page) {}

  async become(userId: string): Promise<void> {
    await this.page.click(`[data-persona="${userId}"]`);
    await this.page.waitForSelector(`[data-persona="${userId}"].active`);
  }

  async open(conversation: string): Promise<void> {
    await this.page.click(`[data-conv="${conversation}"]`);
    await this.page.waitForSelector(`[data-conv="${conversation}"].active`);
  }

  async type(command: string): Promise<void> {
    await this.page.fill("#composer-input", command);
    await this.page.press("#composer-input", "Enter");
  }

  /** Waits for a message in the open conversation that contains `text`. */
  message(text: string) {
    const message = this.page.locator(".message", { hasText: text }).last();
    return message.waitFor().then(() => message);
  }
}
