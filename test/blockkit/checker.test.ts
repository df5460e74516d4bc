import { describe, expect, it } from "vitest";
import { blockKitViolations, type Surface } from "../support/block-kit-limits.js";

/** The checker is a witness: each rule must fire on a payload that breaks it, and only then. */
const plain = (text: string) => ({ type: "plain_text", text });
const md = (text: string) => ({ type: "mrkdwn", text });
const button = (extra: object = {}) => ({ type: "button", text: plain("Go"), action_id: "go", value: "v", ...extra });
const message = (blocks: object[], text = "fallback") => ({ text, blocks });
const option = (value: string, text = "Option") => ({ text: plain(text), value });

const CASES: [string, unknown, Surface, RegExp][] = [
  ["a message of 51 blocks", message(Array(51).fill({ type: "divider" })), "message", /^blocks: 51 blocks/],
  [
    "a modal of 101 blocks",
    { type: "modal", title: plain("T"), blocks: Array(101).fill({ type: "divider" }) },
    "modal",
    /^blocks: 101 blocks/,
  ],
  [
    "section text of 3001",
    message([{ type: "section", text: md("a".repeat(3001)) }]),
    "message",
    /text is 3001 characters, more than 3000/,
  ],
  [
    "11 section fields",
    message([{ type: "section", fields: Array(11).fill(md("a")) }]),
    "message",
    /11 fields, more than 10/,
  ],
  [
    "a field of 2001",
    message([{ type: "section", fields: [md("a".repeat(2001))] }]),
    "message",
    /2001 characters, more than 2000/,
  ],
  [
    "a header of 151",
    message([{ type: "header", text: plain("a".repeat(151)) }]),
    "message",
    /151 characters, more than 150/,
  ],
  ["a mrkdwn header", message([{ type: "header", text: md("a") }]), "message", /must be plain_text/],
  [
    "11 context elements",
    message([{ type: "context", elements: Array(11).fill(md("a")) }]),
    "message",
    /11 elements, more than 10/,
  ],
  [
    "26 actions",
    message([{ type: "actions", elements: Array(26).fill(button()) }]),
    "message",
    /26 elements, more than 25/,
  ],
  [
    "button text of 76",
    message([{ type: "actions", elements: [button({ text: plain("a".repeat(76)) })] }]),
    "message",
    /76 characters, more than 75/,
  ],
  [
    "button value of 2001",
    message([{ type: "actions", elements: [button({ value: "v".repeat(2001) })] }]),
    "message",
    /value is 2001/,
  ],
  [
    "action_id of 256",
    message([{ type: "actions", elements: [button({ action_id: "a".repeat(256) })] }]),
    "message",
    /action_id is 256/,
  ],
  ["block_id of 256", message([{ type: "divider", block_id: "b".repeat(256) }]), "message", /block_id is 256/],
  [
    "a repeated block_id",
    message([
      { type: "divider", block_id: "x" },
      { type: "divider", block_id: "x" },
    ]),
    "message",
    /block_id repeats/,
  ],
  [
    "confirm text of 301",
    message([
      {
        type: "actions",
        elements: [
          button({ confirm: { title: plain("T"), text: md("a".repeat(301)), confirm: plain("Y"), deny: plain("N") } }),
        ],
      },
    ]),
    "message",
    /confirm\.text\.text: text is 301 characters, more than 300/,
  ],
  [
    "confirm title of 101 and deny of 31",
    message([
      {
        type: "actions",
        elements: [
          button({
            confirm: { title: plain("t".repeat(101)), text: md("a"), confirm: plain("Y"), deny: plain("n".repeat(31)) },
          }),
        ],
      },
    ]),
    "message",
    /confirm\.title\.text: text is 101/,
  ],
  ["an unescaped & in a section", message([{ type: "section", text: md("R&D") }]), "message", /unescaped & in mrkdwn/],
  [
    "an unescaped <id> in a section",
    message([{ type: "section", text: md("`/jit revoke <id>`") }]),
    "message",
    /unescaped < > in mrkdwn/,
  ],
  ["an unescaped title in the notification text", message([], "for <b>"), "message", /^text: unescaped < >/],
  ["notification text over 4000", message([], "a".repeat(4001)), "message", /^text: text is 4001/],
  [
    "101 options",
    { options: Array.from({ length: 101 }, (_, i) => option(`v${i}`)) },
    "options",
    /101 options, more than 100/,
  ],
  ["option text of 76", { options: [option("v", "a".repeat(76))] }, "options", /76 characters, more than 75/],
  ["option value of 76", { options: [option("v".repeat(76))] }, "options", /value is 76/],
  [
    "option group label of 76",
    { option_groups: [{ label: plain("l".repeat(76)), options: [option("v")] }] },
    "options",
    /label\.text: text is 76/,
  ],
  [
    "a static select whose initial option is not among its options",
    message([
      {
        type: "actions",
        elements: [{ type: "static_select", action_id: "s", options: [option("a")], initial_option: option("b") }],
      },
    ]),
    "message",
    /matches none of the options/,
  ],
  [
    "a modal title of 25 and no submit beside an input",
    {
      type: "modal",
      title: plain("t".repeat(25)),
      blocks: [{ type: "input", label: plain("L"), element: { type: "plain_text_input", action_id: "v" } }],
    },
    "modal",
    /^title\.text: text is 25/,
  ],
  [
    "private_metadata of 3001",
    { type: "home", private_metadata: "m".repeat(3001), blocks: [] },
    "home",
    /private_metadata is 3001/,
  ],
  [
    "an input hint of 2001",
    {
      type: "modal",
      title: plain("T"),
      submit: plain("S"),
      blocks: [
        {
          type: "input",
          label: plain("L"),
          hint: plain("h".repeat(2001)),
          element: { type: "plain_text_input", action_id: "v" },
        },
      ],
    },
    "modal",
    /hint\.text: text is 2001/,
  ],
  [
    "a text input max_length of 3001",
    {
      type: "modal",
      title: plain("T"),
      submit: plain("S"),
      blocks: [
        { type: "input", label: plain("L"), element: { type: "plain_text_input", action_id: "v", max_length: 3001 } },
      ],
    },
    "modal",
    /max_length 3001 is outside 1–3000/,
  ],
];

describe("the Block Kit limits checker", () => {
  it.each(CASES)("finds %s", (_, payload, surface, rule) => {
    const found = blockKitViolations(payload, surface).map((v) => `${v.path}: ${v.rule}`);
    expect(
      found.some((f) => rule.test(f)),
      found.join("\n"),
    ).toBe(true);
  });

  it("passes what Slack takes: escaped text, mentions, date tokens and quote lines", () => {
    const ok = message(
      [
        { type: "section", text: md("&amp; &lt;b&gt; <@U1> <!date^1^{date}|2030> <#C1>\n>quoted") },
        { type: "actions", block_id: "a", elements: [button()] },
      ],
      "R&amp;D for <@U1>",
    );
    expect(blockKitViolations(ok, "message")).toEqual([]);
  });

  it("names the documentation page of every rule it reports", () => {
    for (const [, payload, surface] of CASES) {
      for (const v of blockKitViolations(payload, surface)) expect(v.doc).toMatch(/^https:\/\/docs\.slack\.dev\//);
    }
  });
});
