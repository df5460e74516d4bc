/**
 * In dry-run (and the playground) a kubernetes-rolebinding profile goes through the whole flow and
 * says what it would bind, without a cluster and without placeholder credentials it does not need.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { policySchema } from "../../src/config/schema.js";
import type { DryRunProvider } from "../../src/grants/dry-run/provider.js";
import { dryRunProviders } from "../../src/grants/registry.js";
import { startTestBot, type TestBot, waitFor } from "../support/bot.js";
import { requestAndApprove } from "../support/flow.js";
import { textOf } from "../support/slack-driver.js";
import { kubeProfile } from "./support.js";

const CA = Buffer.from("-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n").toString("base64");
let t: TestBot;
const providers = dryRunProviders();

beforeAll(async () => {
  const policy = policySchema.parse({
    dryRun: true,
    clusters: [{ name: "prod-eks", server: "https://10.0.0.1", caData: CA }],
    profiles: [
      kubeProfile("eks-view", "eks", { roleRef: { kind: "ClusterRole", name: "view" }, namespace: "payments" }),
    ],
  });
  t = await startTestBot({ policy, providers });
});
afterAll(async () => {
  await t.close();
});

describe("kubernetes-rolebinding in dry-run", () => {
  it("DMs what it would bind and the connect step, no placeholder keys, and 'revokes' at the end", async () => {
    const { id, dm } = await requestAndApprove(t, "eks-view", 3600);
    const text = textOf(dm);
    expect(text).toContain("would bind alice@contoso.com to ClusterRole view in namespace payments on prod-eks for 1h");
    expect(text).toContain("aws eks update-kubeconfig --name prod-eks --region us-west-2");
    expect(text).toContain("Enforced by the cluster (in a real run): ends at");
    expect(text).not.toContain("DRYRUN-PLACEHOLDER");
    const provider = providers.get("kubernetes-rolebinding") as DryRunProvider;
    expect(provider.isGranted(id)).toBe(true);
    await t.driver.command("U0ALICE", `revoke ${id}`);
    await waitFor(async () => (await t.store.requests.mustGet(id)).status === "revoked", "the revoke");
    expect(provider.isGranted(id)).toBe(false);
  });
});
