import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { codeBlock, escapeMrkdwn, slackDate, truncate, truncateMrkdwn } from "./escape.js";

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

  it("cuts where a plain slice would have left half an entity", () => {
    const text = escapeMrkdwn("&".repeat(10));
    expect(text.slice(0, 12)).toBe("&amp;&amp;&a");
    expect(truncateMrkdwn(text, 15)).toBe("&amp;&amp;…");
  });
});

describe("truncate (plain_text)", () => {
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
