import { describe, expect, it } from "vitest";
import { isRequestId, newRequestId, normaliseRequestId } from "./ids.js";

/** Request ids are read aloud and typed back: no 0/O/1/I/L, and only an id newRequestId could make is looked up. */
const READABLE = /^JR-[23456789ABCDEFGHJKMNPQRSTUVWXYZ]{6}$/;

describe("request ids", () => {
  it("are JR- and six readable characters, each of them in use", () => {
    const ids = Array.from({ length: 300 }, newRequestId);
    for (const id of ids) expect(id).toMatch(READABLE);
    expect(new Set(ids).size).toBe(ids.length);
    const used = new Set(ids.flatMap((id) => [...id.slice(3)]));
    expect(used.size).toBe(31);
  });

  it.each([
    ["an id as typed, in lower case with spaces", "  jr-7k3q9m ", "JR-7K3Q9M"],
    ["an id without its prefix", "7k3q9m", "JR-7K3Q9M"],
    ["an id already whole", "JR-7K3Q9M", "JR-7K3Q9M"],
    ["text ending in JR-", "ABCJR-", "JR-ABCJR-"],
  ])("normalises %s", (_why, typed, id) => {
    expect(normaliseRequestId(typed)).toBe(id);
  });

  it.each([
    ["a made id", "JR-7K3Q9M", true],
    ["one with the letters left out (O, I, L)", "JR-7K3Q9O", false],
    ["one with the digits left out (0, 1)", "JR-7K3Q91", false],
    ["lower case", "JR-7k3q9m", false],
    ["five characters", "JR-7K3Q9", false],
    ["seven characters", "JR-7K3Q9MM", false],
    ["text before it", "xJR-7K3Q9M", false],
    ["no prefix", "7K3Q9M", false],
  ])("tells %s: %s", (_why, text, expected) => {
    expect(isRequestId(text)).toBe(expected);
  });
});
