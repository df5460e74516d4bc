import { describe, expect, it } from "vitest";
import { parseJitCommand } from "./command-parser.js";

const ids = ["aks-prod-sre", "eks-pod-manager"];

describe("parseJitCommand", () => {
  it.each([
    ["", { kind: "help" }],
    ["help", { kind: "help" }],
    ["list", { kind: "list" }],
    ["cancel jr-abc234", { kind: "cancel", id: "JR-ABC234" }],
    ["revoke ABC234", { kind: "revoke", id: "JR-ABC234" }],
    ["revoke", { kind: "revoke" }],
    ["request", { kind: "request" }],
    ["request aks-prod-sre", { kind: "request", profileId: "aks-prod-sre" }],
    [
      "request aks-prod-sre 2h fixing the ingress controller",
      {
        kind: "request",
        profileId: "aks-prod-sre",
        durationSeconds: 7200,
        durationText: "2h",
        justification: "fixing the ingress controller",
      },
    ],
    [
      "request 90m checking pods",
      { kind: "request", durationSeconds: 5400, durationText: "90m", justification: "checking pods" },
    ],
    [
      "request aks-staging 1h",
      { kind: "request", unknownProfile: "aks-staging", durationSeconds: 3600, durationText: "1h" },
    ],
    ["request please let me in now", { kind: "request", justification: "please let me in now" }],
    ["frobnicate", { kind: "unknown", word: "frobnicate" }],
  ])("reads %j", (text, expected) => {
    expect(parseJitCommand(text, ids)).toEqual(expected);
  });
});
