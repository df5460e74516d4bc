import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startTestBot, type TestBot } from "../support/bot.js";

/**
 * What a slash command echoes back is mrkdwn too. (Block builders are covered one by one in
 * src/slack/blocks/typed-text.test.ts; a mistyped profile cannot carry `<`, `@` or `&`: the parser
 * only takes [a-z0-9-] words as profile names.)
 */
let t: TestBot;
beforeAll(async () => {
  t = await startTestBot();
});
afterAll(async () => {
  await t.close();
});

describe("typed text in command answers", () => {
  const cases = [
    { name: "a special mention typed as the command", word: "<!channel>", escaped: "&lt;!channel&gt;" },
    { name: "a forged user mention typed as the command", word: "<@U0LEAD>", escaped: "&lt;@U0LEAD&gt;" },
    { name: "a typed entity", word: "&lt;!here&gt;", escaped: "&amp;lt;!here&amp;gt;" },
  ];
  for (const { name, word, escaped } of cases) {
    it(`echoes ${name} as plain text`, async () => {
      const res = await t.driver.command("U0ALICE", word);
      expect(res.status).toBe(200);
      const text = String(res.json?.text);
      expect(text).toContain(escaped);
      expect(text).not.toContain(word);
    });
  }
});
