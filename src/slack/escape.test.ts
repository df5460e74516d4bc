import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { codeBlock, escapeMrkdwn, truncate } from "./escape.js";

const WJ = "\u2060";

/** What Slack shows for escaped text: its three entities decoded (Slack's "Escaping text" doc). */
function asSlackShowsIt(mrkdwn: string): string {
  const entities: Record<string, string> = { "&amp;": "&", "&lt;": "<", "&gt;": ">" };
  return mrkdwn.replace(/&(amp|lt|gt);/g, (entity) => entities[entity] ?? entity);
}

describe("escapeMrkdwn", () => {
  const cases: { name: string; typed: string; sent: string }[] = [
    { name: "a special mention in angle brackets arrives as text", typed: "<!channel>", sent: "&lt;!channel&gt;" },
    { name: "<!here> arrives as text", typed: "<!here>", sent: "&lt;!here&gt;" },
    { name: "<!everyone> arrives as text", typed: "<!everyone>", sent: "&lt;!everyone&gt;" },
    { name: "a forged user mention arrives as text", typed: "ask <@U0LEAD>", sent: "ask &lt;@U0LEAD&gt;" },
    { name: "a user-group mention arrives as text", typed: "<!subteam^S0ONCALL>", sent: "&lt;!subteam^S0ONCALL&gt;" },
    {
      name: "a disguised link arrives as text",
      typed: "<https://evil.example|docs>",
      sent: "&lt;https://evil.example|docs&gt;",
    },
    { name: "bare @channel cannot notify", typed: "hey @channel", sent: `hey @${WJ}channel` },
    { name: "bare @here cannot notify", typed: "@here now", sent: `@${WJ}here now` },
    { name: "bare @everyone cannot notify", typed: "@everyone look", sent: `@${WJ}everyone look` },
    { name: "a capitalised keyword cannot notify either", typed: "@EVERYONE @Here", sent: `@${WJ}EVERYONE @${WJ}Here` },
    {
      name: "a typed entity stays plain text, so it cannot be decoded into a mention",
      typed: "&lt;!channel&gt;",
      sent: "&amp;lt;!channel&amp;gt;",
    },
    { name: "an ampersand is escaped once, before the brackets", typed: "R&D <x>", sent: "R&amp;D &lt;x&gt;" },
    { name: "an email address is not a keyword", typed: "ops@channelfour.tv", sent: "ops@channelfour.tv" },
    { name: "plain text is unchanged", typed: "Rotating the ingress cert", sent: "Rotating the ingress cert" },
  ];
  for (const { name, typed, sent } of cases) {
    it(name, () => {
      expect(escapeMrkdwn(typed)).toBe(sent);
    });
  }

  // Any text made of the characters that matter: what Slack shows is what was typed, with no control
  // sequence (`<…>`) and no notifying keyword left.
  const pieces = ["<", ">", "&", "@", "!", "|", "^", "amp;", "lt;", "gt;", "channel", "here", "everyone", "EveryOne"];
  const typedText = fc.array(fc.oneof(fc.constantFrom(...pieces), fc.string({ maxLength: 3 })), { maxLength: 12 });
  it("shows exactly what was typed, and leaves nothing that notifies or links", () => {
    fc.assert(
      fc.property(typedText, (parts) => {
        const typed = parts.join("").replaceAll(WJ, "");
        const sent = escapeMrkdwn(typed);
        expect(sent).not.toMatch(/[<>]/);
        expect(sent).not.toMatch(/@(channel|here|everyone)\b/i);
        expect(asSlackShowsIt(sent).replaceAll(`@${WJ}`, "@")).toBe(typed);
      }),
      { numRuns: 2000 },
    );
  });
});

describe("truncate and codeBlock", () => {
  it("keeps text within the limit, marking a cut with an ellipsis", () => {
    expect(truncate("abcdef", 6)).toBe("abcdef");
    expect(truncate("abcdefg", 6)).toBe("abcde…");
  });

  it("keeps a code block whole when the text contains backticks", () => {
    expect(codeBlock("a```b")).toBe("```aʼʼʼb```");
  });
});
