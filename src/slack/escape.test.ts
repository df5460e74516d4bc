import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { codeBlock, escapeMrkdwn, slackDate, truncate, truncateMrkdwn } from "./escape.js";

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

/** Typed text at its worst: Slack's control characters, broadcast keywords, emoji, newlines. */
const typed = fc
  .array(fc.constantFrom("&", "<", ">", "@channel", "@here", "a", " ", "\n", "🚀", "é", "```", "*"), {
    maxLength: 400,
  })
  .map((parts) => parts.join(""));

/** What mrkdwn jitbot sends is made of: escaped text, mentions and date tokens. */
const mrkdwnPiece = fc.oneof(
  typed.map(escapeMrkdwn),
  fc.constant("<@U0ALICE12345>"),
  fc.constant(slackDate(new Date("2030-01-01T12:00:00Z"))),
  typed.map(codeBlock),
);

/** Entities and tokens must be whole: what is left once they are removed holds no `&` or `<`. */
const broken = (text: string) => /[&<]/.test(text.replace(/&(?:amp|lt|gt);|<[^<>\n]*>/g, ""));

describe("truncateMrkdwn", () => {
  it("keeps text within the limit as sent, never cutting an entity, a token or an emoji in half", () => {
    fc.assert(
      fc.property(fc.array(mrkdwnPiece, { maxLength: 12 }), fc.integer({ min: 8, max: 600 }), (pieces, max) => {
        const text = pieces.join(" ");
        const cut = truncateMrkdwn(text, max);
        expect(cut.length).toBeLessThanOrEqual(max);
        expect(broken(cut)).toBe(false);
        expect(cut).not.toMatch(/[\uD800-\uDBFF](?![\uDC00-\uDFFF])/);
        if (text.length <= max) expect(cut).toBe(text);
        else expect(cut).toMatch(/…(```)?$/);
      }),
    );
  });

  it("closes a code block it cut open, so the rest of the message is not swallowed by it", () => {
    const cut = truncateMrkdwn(`*Shell*\n${codeBlock("x".repeat(100))}`, 50);
    expect(cut.length).toBeLessThanOrEqual(50);
    expect((cut.match(/```/g) ?? []).length % 2).toBe(0);
  });

  it("keeps text of exactly the limit whole, and cuts plain text at the limit less room for the ellipsis and a fence", () => {
    expect(truncateMrkdwn("abcdefgh", 8)).toBe("abcdefgh");
    expect(truncateMrkdwn("abcdefghi", 8)).toBe("abcd…");
    expect(truncateMrkdwn("a b\nc d\te f", 9)).toBe("a b\nc…");
  });

  it("cuts before an emoji rather than through it", () => {
    expect(truncateMrkdwn("ab🚀cdefgh", 7)).toBe("ab…");
    expect(truncateMrkdwn("ab🚀cdefgh", 8)).toBe("ab🚀…");
  });

  it("cuts where a plain slice would have left half an entity", () => {
    const text = escapeMrkdwn("&".repeat(10));
    expect(text.slice(0, 12)).toBe("&amp;&amp;&a");
    expect(truncateMrkdwn(text, 15)).toBe("&amp;&amp;…");
  });
});

describe("truncate (plain_text)", () => {
  it("cuts before an emoji rather than through it", () => {
    expect(truncate("ab🚀cdefgh", 4)).toBe("ab…");
    expect(truncate("ab🚀cdefgh", 5)).toBe("ab🚀…");
  });

  it("keeps within the limit and never splits an emoji", () => {
    fc.assert(
      fc.property(typed, fc.integer({ min: 2, max: 300 }), (text, max) => {
        const cut = truncate(text, max);
        expect(cut.length).toBeLessThanOrEqual(max);
        expect(cut).not.toMatch(/[\uD800-\uDBFF](?![\uDC00-\uDFFF])/);
      }),
    );
  });
});

describe("codeBlock", () => {
  it("sends Slack's control characters as entities and leaves the rest of a command as typed", () => {
    expect(codeBlock("--password='a&b<c>@here'")).toBe("```--password='a&amp;b&lt;c&gt;@here'```");
  });
});

describe("slackDate", () => {
  it("names the whole second that has begun, in each reader's zone, with a UTC fallback to the minute", () => {
    const at = new Date("2030-01-01T12:34:56.789Z");
    expect(slackDate(at)).toBe("<!date^1893501296^{date_short_pretty} {time}|2030-01-01 12:34 UTC>");
    expect(slackDate(at, "{time}")).toBe("<!date^1893501296^{time}|2030-01-01 12:34 UTC>");
  });
});
