import { afterEach, describe, expect, it } from "vitest";
import { ManualClock } from "../../src/domain/clock.js";
import { startTestBot, type TestBot, waitFor } from "../support/bot.js";
import { textOf } from "../support/slack-driver.js";
import { bootInBackground } from "./boot.js";
import {
  activeGrant,
  approvalNow,
  auditActions,
  clockAt,
  FakeProvider,
  Gate,
  registryWith,
  sharedDbFile,
  tick,
} from "./support.js";

const open: { close(): Promise<void> }[] = [];
const cleanups: (() => void)[] = [];
afterEach(async () => {
  for (const bot of open.splice(0)) await bot.close();
  for (const cleanup of cleanups.splice(0)) cleanup();
});

async function bot(options: Parameters<typeof startTestBot>[0] = {}): Promise<TestBot> {
  const t = await startTestBot({ clock: clockAt(), ...options });
  open.push(t);
  return t;
}

describe("a grant ends at its second, by the timer", () => {
  it("revokes an approved 1h grant within the second it expires, with no cron, and tells everyone", async () => {
    const t = await bot();
    const { id, approval } = await activeGrant(t, "eks-pod-manager", 3600);
    const grant = await t.store.grants.get(id);
    if (!grant) throw new Error("no grant");
    const credentialDm = t.slack.dmsOf("U0ALICE").find((m) => m.ts === grant.dmTs);
    expect(textOf(credentialDm ?? { text: "", blocks: [] })).toContain("DRYRUN-PLACEHOLDER");

    await tick(t, grant.expiresAt.getTime() - t.clock.now().getTime() - 1, 60_000);
    expect((await t.store.grants.get(id))?.status).toBe("active");

    await tick(t, 1);
    const ended = await t.store.grants.get(id);
    expect(ended?.status).toBe("ended");
    expect((await t.store.requests.mustGet(id)).status).toBe("expired");
    expect((ended?.endedAt?.getTime() ?? 0) - grant.expiresAt.getTime()).toBeLessThan(1_000);

    await waitFor(
      () => t.slack.dmsOf("U0ALICE").find((m) => m.text.includes(`${id}`) && m.text.includes("has expired")),
      "the expired DM",
    );
    const redacted = t.slack.dmsOf("U0ALICE").find((m) => m.ts === grant.dmTs);
    expect(redacted?.edited).toBe(true);
    expect(textOf(redacted ?? { text: "", blocks: [] })).not.toContain("DRYRUN-PLACEHOLDER");
    expect(textOf(redacted ?? { text: "", blocks: [] })).toContain("Removed: these credentials are no longer valid.");
    expect(textOf(approvalNow(t, approval))).toContain("Access has ended — approved by");
    expect((await auditActions(t, id)).filter((a) => a === "request.expired")).toHaveLength(1);
  });

  it("re-arms for the next grant after one ends, and for an earlier grant filed after a later one", async () => {
    const t = await bot();
    const later = await activeGrant(t, "aks-prod-dev", 7200);
    const earlier = await activeGrant(t, "aks-prod-dev", 3600);
    await tick(t, 3600_000, 60_000);
    expect((await t.store.requests.mustGet(earlier.id)).status).toBe("expired");
    expect((await t.store.requests.mustGet(later.id)).status).toBe("active");
    await tick(t, 3600_000, 60_000);
    expect((await t.store.requests.mustGet(later.id)).status).toBe("expired");
  });
});

describe("a restart catches up before it reports ready", () => {
  it("revokes grants that expired while the bot was down before /readyz answers 200", async () => {
    const db = sharedDbFile();
    cleanups.push(db.cleanup);
    const fake = new FakeProvider("entra-group");
    const first = await startTestBot({ clock: clockAt(), location: db.file, providers: registryWith(fake) });
    const a = await activeGrant(first, "aks-prod-sre", 3600);
    const b = await activeGrant(first, "aks-prod-dev", 7200);
    const downAt = first.clock.now().getTime();
    await first.close();

    // Down for three hours: both grants are overdue when the next process starts.
    fake.revokeGate = new Gate();
    const booting = await bootInBackground({
      location: db.file,
      clock: new ManualClock(new Date(downAt + 3 * 3600_000)),
      providers: registryWith(fake),
    });
    open.push(booting);
    await waitFor(() => fake.revokeGate?.entered, "the start-up sweep to reach the provider");
    expect(await booting.readyz()).toBe(503);
    expect((await booting.store.grants.get(a.id))?.status).toBe("active");
    fake.revokeGate.open();
    await booting.started;
    expect(await booting.readyz()).toBe(200);
    for (const { id } of [a, b]) {
      expect((await booting.store.requests.mustGet(id)).status).toBe("expired");
      expect(fake.revoked.get(id)).toBe(1);
    }
  });
});
