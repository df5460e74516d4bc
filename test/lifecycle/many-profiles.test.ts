import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parsePolicy } from "../../src/config/load.js";
import { profileOptions } from "../../src/slack/blocks/request-modal.js";
import { blockKitViolations } from "../support/block-kit-limits.js";
import { startTestBot, type TestBot, waitFor } from "../support/bot.js";

/** 120 profiles over 3 clusters: more than a static_select may hold. */
function bigPolicy() {
  const profiles = Array.from({ length: 120 }, (_, i) => {
    const cluster = ["alpha", "beta", "gamma"][i % 3];
    return `  - id: ns-${String(i).padStart(3, "0")}
    title: ${cluster} namespace ${i}
    cluster: { kind: aks, name: ${cluster}, resourceGroup: rg, subscriptionId: "3c9f1b2a-5d4e-4f6a-8b7c-9d0e1f2a3b4c" }
    grant: { type: entra-group, groupId: "6f1c2a9e-1b7d-4f3a-9c1e-2d5b8a7f4e10" }
    duration: { default: 1h, max: 2h }
    approval: { channel: C0APPROVALS, approvers: { users: [U0LEAD] } }`;
  });
  return parsePolicy(`dryRun: true\nprofiles:\n${profiles.join("\n")}\n`, "big.yaml");
}

let t: TestBot;
beforeAll(async () => {
  t = await startTestBot({ policy: bigPolicy() });
});
afterAll(async () => {
  await t.close();
});

describe("more profiles than Slack's 100-option limit", () => {
  it("groups options by cluster when there are several clusters", () => {
    const options = profileOptions(bigPolicy().profiles.slice(0, 12));
    expect("option_groups" in options && options.option_groups.map((g) => g.label.text)).toEqual([
      "AKS · alpha",
      "AKS · beta",
      "AKS · gamma",
    ]);
  });

  it("switches the profile field to a searchable external select", async () => {
    await t.driver.command("U0ALICE", "request");
    const view = await waitFor(() => [...t.slack.views.values()].find((v) => v.userId === "U0ALICE"), "the modal");
    const profile = (view.view.blocks as { block_id?: string; element?: { type: string } }[]).find(
      (b) => b.block_id === "profile",
    );
    expect(profile?.element?.type).toBe("external_select");
    expect(blockKitViolations(view.view, "modal")).toEqual([]);
  });

  it("answers the search with matching profiles, at most 100", async () => {
    const search = (value: string) =>
      t.driver.interact({
        type: "block_suggestion",
        user: { id: "U0ALICE", username: "alice", team_id: "T0PLAY" },
        team: { id: "T0PLAY" },
        api_app_id: "A0JITBOT",
        token: "unused",
        container: { type: "view", view_id: "V1" },
        action_id: "value",
        block_id: "profile",
        value,
        view: { id: "V1", type: "modal", callback_id: "jit_request", private_metadata: "{}", state: { values: {} } },
      });
    const all = await search("");
    const count = (body: unknown) => (JSON.stringify(body).match(/"value":"ns-/g) ?? []).length;
    expect(all.status).toBe(200);
    expect(count(all.json)).toBe(100);
    // The answer Slack shows in the menu: options or option groups within the documented limits.
    expect(blockKitViolations(all.json, "options")).toEqual([]);
    const one = await search("ns-042");
    expect(count(one.json)).toBe(1);
    expect(JSON.stringify(one.json)).toContain("alpha namespace 42");
  });
});
