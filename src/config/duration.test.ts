import { describe, expect, it } from "vitest";
import { formatDuration, parseDuration, toIsoDuration } from "./duration.js";

describe("parseDuration", () => {
  it.each([
    ["15m", 900],
    ["1h", 3600],
    ["2h30m", 9000],
    ["90m", 5400],
    ["1d", 86400],
    [" 2H 30M ", 9000],
    ["45s", 45],
  ])("reads %j as %d seconds", (text, seconds) => {
    expect(parseDuration(text)).toBe(seconds);
  });

  it.each(["", "5x", "h", "1.5h", "-1h", "1h foo", "10"])("refuses %j", (text) => {
    expect(parseDuration(text)).toBeUndefined();
  });
});

describe("formatDuration", () => {
  it.each([
    [9000, "2h 30m"],
    [3600, "1h"],
    [90061, "1d 1h 1m"],
    [30, "30s"],
  ])("writes %d seconds as %j", (seconds, text) => {
    expect(formatDuration(seconds)).toBe(text);
  });
});

describe("toIsoDuration", () => {
  it.each([
    [7200, "PT2H"],
    [9000, "PT2H30M"],
    [0, "PT0S"],
  ])("writes %d seconds as %j", (seconds, text) => {
    expect(toIsoDuration(seconds)).toBe(text);
  });
});
