import { writeFileSync } from "node:fs";
import type { Page } from "playwright-core";
import type { Person } from "./browser.js";

const README_SCREENSHOT = new URL("../../docs/playground.png", import.meta.url);
const HALF = { width: 940, height: 700 };

/**
 * docs/playground.png, refreshed on demand (PLAYGROUND_README_SCREENSHOT=1): the approval channel
 * and Alice's DM side by side, composed by the browser itself so no image library is needed.
 */
export async function saveReadmeScreenshot(page: Page, person: Person): Promise<void> {
  const original = page.viewportSize();
  await page.setViewportSize(HALF);
  await person.open("C0APPROVALS");
  await person.message("— access granted");
  const channel = await page.screenshot();
  await person.open("DU0ALICE");
  await person.message("Access granted");
  const dm = await page.screenshot();
  const composer = await page.context().newPage();
  await composer.setViewportSize({ width: HALF.width * 2 + 12, height: HALF.height });
  const img = (png: Buffer) => `<img src="data:image/png;base64,${png.toString("base64")}">`;
  await composer.setContent(
    `<body style="margin:0;background:#ccc;display:flex;gap:12px">${img(channel)}${img(dm)}</body>`,
  );
  await composer.waitForFunction(() => Array.from(document.images).every((i) => i.complete));
  writeFileSync(README_SCREENSHOT, await composer.screenshot());
  await composer.close();
  if (original) await page.setViewportSize(original);
}
