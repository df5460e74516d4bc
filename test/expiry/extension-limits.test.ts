import { afterEach, describe, expect, it } from "vitest";
import { DryRunProvider } from "../../src/grants/dry-run/provider.js";
import { ProviderError } from "../../src/grants/errors.js";
import type { PostedMessage } from "../../src/playground/slack-web-api.js";
import { examplePolicy, startTestBot, type TestBot, waitFor } from "../support/bot.js";
import { textOf } from "../support/slack-driver.js";
import { activeGrant, clockAt, FakeProvider, Gate, registryWith } from "./support.js";

const open: TestBot[] = [];
afterEach(async () => {
  for (const bot of open.splice(0)) await bot.close();
});

/** aks-prod-sre with extension: { max: 1h, maxTotal: 90m } (or `extension`), served by a scriptable provider. */
async function bot(
  autoApprove: boolean,
  fake = new FakeProvider("entra-group"),
  extension = `{ max: 1h, autoApprove: ${autoApprove}, maxTotal: 90m }`,
): Promise<TestBot> {
  const shipped = "extension: { max: 2h, autoApprove: false, maxTotal: 4h }";
  const policy = examplePolicy((yaml) => {
    if (!yaml.includes(shipped)) throw new Error("the example's extension line changed");
    return yaml.replace(shipped, `extension: ${extension}`);
  });
  const t = await startTestBot({ clock: clockAt(), policy, providers: registryWith(fake) });
  open.push(t);
  return t;
}

const credentialDm = async (t: TestBot, id: string) => {
  const dmTs = (await t.store.grants.get(id))?.dmTs;
  return t.slack.dmsOf("U0ALICE").find((m) => m.ts === dmTs) as PostedMessage;
};

/** Alice clicks Extend on her credential DM and submits `seconds` more; the modal's answer. */
async function extend(t: TestBot, id: string, seconds: number) {
  const views = t.slack.views.size;
  await t.driver.click("U0ALICE", await credentialDm(t, id), "jit_extend");
  const modal = await waitFor(() => [...t.slack.views.values()][views], "the extension modal");
  return t.driver.submit("U0ALICE", modal, {
    profile: "aks-prod-sre",
    duration: String(seconds),
    justification: "The rollout needs a little longer",
    ticket: "OPS-7",
  });
}

const endOf = async (t: TestBot, id: string) => (await t.store.grants.get(id))?.expiresAt.getTime() ?? 0;

describe("extension.maxTotal: extensions of one grant add at most this much in total", () => {
  it("refuses in the form what would pass maxTotal, even auto-approved, and then the Extend button", async () => {
    const t = await bot(true);
    const { id } = await activeGrant(t, "aks-prod-sre", 3600);
    const start = await endOf(t, id);
    expect((await extend(t, id, 3600)).json?.response_action).toBeUndefined();
    await waitFor(async () => (await endOf(t, id)) === start + 3600_000, "the first extension");

    const refused = await extend(t, id, 3600);
    expect(refused.json).toMatchObject({ response_action: "errors" });
    expect(JSON.stringify(refused.json)).toContain(
      "Extensions may add at most 1h 30m to one grant in total; this one can still be extended by 30m.",
    );
    expect(await endOf(t, id)).toBe(start + 3600_000);

    expect((await extend(t, id, 1800)).json?.response_action).toBeUndefined();
    await waitFor(async () => (await endOf(t, id)) === start + 5400_000, "the last extension that fits");
    const views = t.slack.views.size;
    await t.driver.click("U0ALICE", await credentialDm(t, id), "jit_extend");
    await waitFor(
      () => t.slack.ephemeralsFor("U0ALICE").find((m) => m.text.includes("already been extended by the most")),
      "the refusal of the Extend button",
    );
    expect(t.slack.views.size).toBe(views);
  });

  it("refuses at apply time an extension filed before another one used up the room; the end stands", async () => {
    const t = await bot(false);
    const { id } = await activeGrant(t, "aks-prod-sre", 3600);
    const start = await endOf(t, id);
    const before = t.slack.messagesIn("C0APPROVALS").length;
    await extend(t, id, 3600);
    await extend(t, id, 3600);
    const first = await waitFor(() => t.slack.messagesIn("C0APPROVALS")[before], "the first approval message");
    const second = await waitFor(() => t.slack.messagesIn("C0APPROVALS")[before + 1], "the second approval message");
    await t.driver.click("U0LEAD", first, "jit_approve");
    await waitFor(async () => (await endOf(t, id)) === start + 3600_000, "the first extension");
    await t.driver.click("U0LEAD", second, "jit_approve");
    const failed = await waitFor(
      async () =>
        (await t.store.requests.listByRequester("U0ALICE", ["failed"])).find((r) => r.extendsRequestId === id),
      "the second extension to fail",
    );
    const dm = await waitFor(
      () => t.slack.dmsOf("U0ALICE").find((m) => m.text.includes(`Granting ${failed.id} failed`)),
      "the DM saying so",
    );
    expect(dm.text).toContain("this one can still be extended by 30m");
    expect(dm.text).toContain(`still ends at ${new Date(start + 3600_000).toISOString()}`);
    expect(await endOf(t, id)).toBe(start + 3600_000);
  });
});

describe("extensions approved at the same moment", () => {
  it("are applied one after the other, so both count", async () => {
    const fake = new FakeProvider("entra-group");
    const t = await bot(false, fake, "{ max: 1h, autoApprove: false }");
    const { id } = await activeGrant(t, "aks-prod-sre", 3600);
    const start = await endOf(t, id);
    const before = t.slack.messagesIn("C0APPROVALS").length;
    await extend(t, id, 3600);
    await extend(t, id, 1800);
    const first = await waitFor(() => t.slack.messagesIn("C0APPROVALS")[before], "the first approval message");
    const second = await waitFor(() => t.slack.messagesIn("C0APPROVALS")[before + 1], "the second approval message");
    const gate = new Gate();
    fake.extendGate = gate;
    await t.driver.click("U0LEAD", first, "jit_approve");
    await t.driver.click("U0OMAR", second, "jit_approve");
    await waitFor(() => gate.entered >= 1, "an extension at the provider");
    gate.open();
    await waitFor(async () => (await endOf(t, id)) === start + 5400_000, "both extensions to count");
    expect(fake.extended.map((e) => e.expiresAt.getTime() - start).sort((a, b) => a - b)).toEqual([
      expect.any(Number),
      5400_000,
    ]);
  });
});

describe("an extension the provider cannot apply", () => {
  it("fails with the provider's sentence, tells Alice the original end stands, and moves nothing", async () => {
    const fake = new FakeProvider("entra-group");
    fake.extendFailure = () =>
      new ProviderError("INVALID_REQUEST", "The group's PIM policy does not allow an assignment that long.");
    const t = await bot(true, fake, "{ max: 1h, autoApprove: true }");
    const { id } = await activeGrant(t, "aks-prod-sre", 3600);
    const end = await endOf(t, id);
    await extend(t, id, 1800);
    const dm = await waitFor(
      () => t.slack.dmsOf("U0ALICE").find((m) => /Granting JR-\w+ failed/.test(m.text)),
      "the failure DM",
    );
    expect(textOf(dm)).toContain("The group's PIM policy does not allow an assignment that long.");
    expect(textOf(dm)).toContain(`still ends at ${new Date(end).toISOString()}`);
    expect(await endOf(t, id)).toBe(end);
    expect(fake.extended).toEqual([]);
    expect(t.slack.dmsOf("U0ALICE").some((m) => m.text.includes("now ends"))).toBe(false);
  });
});

describe("an extension in dry-run mode", () => {
  it("records what a real provider would change, and moves jitbot's end", async () => {
    const policy = examplePolicy((yaml) => yaml.replace("autoApprove: false", "autoApprove: true"));
    const t = await startTestBot({ clock: clockAt(), policy });
    open.push(t);
    const { id } = await activeGrant(t, "aks-prod-sre", 3600);
    const end = await endOf(t, id);
    await extend(t, id, 1800);
    await waitFor(async () => (await endOf(t, id)) === end + 1800_000, "the new end");
    const provider = t.providers.get("entra-group");
    if (!(provider instanceof DryRunProvider)) throw new Error("not a dry run");
    const record = provider.records.find((r) => r.verb === "extend");
    expect(record?.requestId).toBe(id);
    expect(record?.description).toContain(new Date(end + 1800_000).toISOString());
    expect(record?.description).toContain("jitbot's own timer; nothing changes in the cloud");
  });
});
