import { RE2JS } from "re2js";
import { describe, expect, it, vi } from "vitest";
import { parsePolicy } from "../config/load.js";
import { validateRequestInput } from "./policy.js";
import { ticketMatches, ticketPatternProblem } from "./ticket-pattern.js";

const policyWith = (pattern: string) =>
  parsePolicy(`
profiles:
  - id: p1
    title: One
    cluster: { kind: aks, name: c, resourceGroup: rg, subscriptionId: "3c9f1b2a-5d4e-4f6a-8b7c-9d0e1f2a3b4c" }
    grant: { type: entra-group, groupId: "6f1c2a9e-1b7d-4f3a-9c1e-2d5b8a7f4e10" }
    duration: { default: 1h, max: 4h }
    approval: { channel: C0APPROVALS, approvers: { users: [U0LEAD] } }
    ticket: { required: true, pattern: ${JSON.stringify(pattern)} }
`);

/** Wall time of `work` in ms. The bounds below are 100× what RE2 needs, and 1/10 of what backtracking took. */
function timed(work: () => void): number {
  const started = performance.now();
  work();
  return performance.now() - started;
}

describe("ticket patterns", () => {
  it.each([
    ["anchored ticket ids", "^[A-Z]+-[0-9]+$", "OPS-1234", true],
    ["a ticket id inside text, like RegExp.test", "[A-Z]+-[0-9]+", "see OPS-7 please", true],
    ["a mismatch", "^[A-Z]+-[0-9]+$", "ops 7", false],
    ["perl classes", "^INC\\d{4,}$", "INC00042", true],
    ["named groups", "^(?<project>[A-Z]+)-\\d+$", "SEC-9", true],
  ])("match %s", (_case, pattern, ticket, expected) => {
    expect(ticketPatternProblem(pattern)).toBeUndefined();
    expect(ticketMatches(pattern, ticket)).toBe(expected);
  });

  it("cannot stall the bot: ^(a+)+$ against 31 and 10,000 typed characters answers at once", () => {
    const profile = policyWith("^(a+)+$").profiles[0];
    if (!profile) throw new Error("no profile");
    const input = { durationSeconds: 3600, justification: "a good reason to have access" };
    // A backtracking engine needs ~8 s for the first one, and longer than the universe for the second.
    const short = timed(() => {
      const errors = validateRequestInput(profile, { ...input, ticket: `${"a".repeat(30)}!` });
      expect(errors.ticket?.code).toBe("TICKET_INVALID");
    });
    const long = timed(() => expect(ticketMatches("^(a+)+$", `${"a".repeat(9_999)}!`)).toBe(false));
    expect(short).toBeLessThan(1_000);
    expect(long).toBeLessThan(1_000);
  });

  it.each([
    ["a backreference", "^(a)\\1$", "invalid escape sequence"],
    ["a lookahead", "^(?=OPS)[A-Z]+-\\d+$", "unsupported Perl syntax"],
    ["a negative lookahead", "^(?!TEST)[A-Z]+-\\d+$", "unsupported Perl syntax"],
    ["a lookbehind", "(?<=OPS-)\\d+", "invalid named capture"],
    ["broken syntax", "^[A-Z+$", "missing closing ]"],
    ["a pattern longer than 200 characters", "a".repeat(201), "at most 200"],
  ])("are refused at load, naming the key, for %s", (_case, pattern, reason) => {
    expect(() => policyWith(pattern)).toThrow(/profiles\[0\]\.ticket\.pattern: /);
    expect(() => policyWith(pattern)).toThrow(reason);
  });
});

describe("a ticket pattern's problem", () => {
  it("is none for a pattern of exactly 200 characters", () => {
    expect(ticketPatternProblem(`^${"a".repeat(198)}$`)).toBeUndefined();
  });

  it("is one sentence with RE2's own reason, without RE2's prefix", () => {
    expect(ticketPatternProblem("^[A-Z+$")).toBe(
      "is not a pattern jitbot can match in linear time (RE2 syntax: no backreferences, no lookahead or lookbehind): missing closing ]: `[A-Z+$`",
    );
  });

  it("is the sentence alone when RE2 fails with something other than its own parse error", () => {
    // Not reachable from a pattern today; the branch keeps a stranger's error text (a stack
    // overflow, a bug in re2js) out of a config message.
    const compile = vi.spyOn(RE2JS, "compile").mockImplementation(() => {
      throw new RangeError("Maximum call stack size exceeded");
    });
    try {
      expect(ticketPatternProblem("^NEVER-COMPILED-[0-9]+$")).toBe(
        "is not a pattern jitbot can match in linear time (RE2 syntax: no backreferences, no lookahead or lookbehind)",
      );
    } finally {
      compile.mockRestore();
    }
  });

  it("gives the length and the cap for a pattern too long", () => {
    expect(ticketPatternProblem("a".repeat(201))).toBe("is 201 characters long; a ticket pattern may have at most 200");
  });

  it("is compiled once per pattern, however many tickets it checks", () => {
    const compile = vi.spyOn(RE2JS, "compile");
    try {
      const pattern = "^CACHE-[0-9]+$";
      expect(ticketPatternProblem(pattern)).toBeUndefined();
      expect(ticketMatches(pattern, "CACHE-1")).toBe(true);
      expect(ticketMatches(pattern, "CACHE-x")).toBe(false);
      expect(compile.mock.calls.filter(([compiled]) => compiled === pattern)).toHaveLength(1);
    } finally {
      compile.mockRestore();
    }
  });
});
