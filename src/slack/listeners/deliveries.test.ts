import { describe, expect, it } from "vitest";
import { claimWithin, deliveryId, ENVELOPE_ID } from "./deliveries.js";

describe("deliveryId", () => {
  it.each([
    ["an Events API event, by its event_id", { type: "event_callback", event_id: "Ev01" }, {}, "event:Ev01"],
    [
      "an event over Socket Mode, still by event_id (a retry comes in a new envelope)",
      { type: "event_callback", event_id: "Ev01" },
      { [ENVELOPE_ID]: "env-1" },
      "event:Ev01",
    ],
    ["a Socket Mode click, by its envelope", { type: "block_actions" }, { [ENVELOPE_ID]: "env-2" }, "envelope:env-2"],
    ["an HTTP click: never retried, no id", { type: "block_actions" }, {}, undefined],
    ["an HTTP slash command: never retried, no id", { command: "/jit" }, {}, undefined],
    ["an event without an id over HTTP", { type: "event_callback", event_id: "" }, {}, undefined],
  ])("%s", (_why, body, context, expected) => {
    expect(deliveryId(body, context)).toBe(expected);
  });
});

describe("claimWithin", () => {
  it("says first or duplicate as the store answers", async () => {
    expect(await claimWithin(async () => true, 1_000)).toEqual({ kind: "first" });
    expect(await claimWithin(async () => false, 1_000)).toEqual({ kind: "duplicate" });
  });

  it("does not know when the store fails or is too slow for Slack's 3 s", async () => {
    expect(await claimWithin(() => Promise.reject(new Error("connection refused")), 1_000)).toEqual({
      kind: "unknown",
      why: "connection refused",
    });
    expect(await claimWithin(() => new Promise<boolean>(() => undefined), 5)).toEqual({
      kind: "unknown",
      why: "no answer within 5 ms",
    });
  });
});
