import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ProviderError } from "../../src/grants/errors.js";
import type { GrantOutcome, GrantProvider, RevokeOutcome } from "../../src/grants/provider.js";
import { dryRunProviders } from "../../src/grants/registry.js";
import { requestAndApprove } from "../e2e/helpers.js";
import { startTestBot, type TestBot, waitFor } from "../support/bot.js";

/** Half-applies a grant and fails; its revoke fails until told the cloud is back. */
class HalfGrantingProvider implements GrantProvider {
  readonly type = "entra-group" as const;
  applied = false;
  cloudBack = false;
  async grant(): Promise<GrantOutcome> {
    this.applied = true;
    throw new ProviderError("UNAVAILABLE", "Microsoft Graph did not answer (503); try again later.");
  }
  async revoke(): Promise<RevokeOutcome> {
    if (!this.cloudBack) throw new ProviderError("UNAVAILABLE", "Microsoft Graph did not answer (503).");
    this.applied = false;
    return { detail: "removed from group" };
  }
}

let t: TestBot;
const provider = new HalfGrantingProvider();
beforeAll(async () => {
  const providers = dryRunProviders();
  providers.set("entra-group", provider);
  t = await startTestBot({ providers });
});
afterAll(async () => {
  await t.close();
});

describe("a failed grant whose roll-back is not confirmed", () => {
  it("is not forgotten: the requester is told the truth and jitbot keeps undoing it until the provider confirms", async () => {
    const { id, dm } = await requestAndApprove(t, "aks-prod-dev", 3600);
    expect(dm.text).toContain(`Granting ${id} failed`);
    expect(JSON.stringify(dm.blocks)).toContain("could not yet confirm that nothing was left half-granted");
    expect(await t.store.grants.get(id)).toMatchObject({ status: "active", endReason: "revoked" });
    await t.bot.scheduler.run("sweep");
    expect(provider.applied).toBe(true);
    expect((await t.store.grants.get(id))?.revokeAttempts).toBeGreaterThan(0);
    provider.cloudBack = true;
    await t.clock.advance(20 * 60_000);
    await t.bot.scheduler.run("sweep");
    await waitFor(async () => (await t.store.grants.get(id))?.status === "ended", "the confirmed roll-back");
    expect(provider.applied).toBe(false);
    expect((await t.store.requests.mustGet(id)).status).toBe("failed");
    await waitFor(
      () => t.slack.dmsOf("U0ALICE").find((m) => m.text.startsWith(`The roll-back of ${id}`)),
      "the requester to be told the roll-back is confirmed",
    );
  });
});
