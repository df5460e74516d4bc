/**
 * Approver step-up across replicas on one PostgreSQL: the pending step-up lives in the database,
 * so the replica that answers the sign-in callback need not be the one that gave out the link, and
 * a state raced to two replicas at once records one approval.
 */
import { afterEach, describe, expect, it } from "vitest";
import { FakeSlackWebApi } from "../../src/playground/slack-web-api.js";
import { clockAt } from "../expiry/support.js";
import { browse, clickApprove, LEE, type StepUpRig, sentenceOf, startStepUpRig } from "../stepup/harness.js";
import { PEOPLE, waitFor } from "../support/bot.js";
import { fileRequest } from "../support/flow.js";
import { freshSchemaUrl, testDatabaseUrl } from "../support/postgres.js";

const open: { rigs: StepUpRig[]; slack: FakeSlackWebApi }[] = [];
afterEach(async () => {
  for (const { rigs, slack } of open.splice(0)) {
    for (const rig of rigs.reverse()) await rig.close();
    await slack.close();
  }
});

async function twoReplicas() {
  const slack = new FakeSlackWebApi(PEOPLE);
  const apiUrl = await slack.listen();
  const shared = { location: freshSchemaUrl(), clock: clockAt(), slack: { api: slack, apiUrl } };
  const rigs: StepUpRig[] = [];
  open.push({ rigs, slack });
  const a = await startStepUpRig({ ...shared, replicaId: "replica-a" });
  rigs.push(a);
  const b = await startStepUpRig({ ...shared, replicaId: "replica-b", oidc: a.oidc });
  rigs.push(b);
  return { a, b };
}

describe.runIf(testDatabaseUrl())("approver step-up on two replicas", () => {
  it("finishes on replica B a sign-in whose link replica A gave out", async () => {
    const { a, b } = await twoReplicas();
    const { id, approval } = await fileRequest(a.t, "aks-prod-sre", 3600);
    const link = await clickApprove(a.t, "U0LEAD", approval);
    a.oidc.signInAs = LEE;
    const visit = await browse(a.t, link, {
      replica: (url) => (url.pathname === "/stepup/callback" ? b.t : a.t),
    });
    expect(visit.status).toBe(200);
    expect(sentenceOf(visit)).toBe(`Your approval of ${id} is recorded; you can close this page.`);
    await waitFor(async () => (await b.t.store.requests.mustGet(id)).status !== "pending", "the approval");
    await Promise.all([a.t.settle(), b.t.settle()]);
    expect(await a.t.store.requests.approvals(id)).toMatchObject([{ approverId: "U0LEAD", decision: "approve" }]);
  });

  it("records one approval when the same callback reaches both replicas at once", async () => {
    const { a, b } = await twoReplicas();
    const { id, approval } = await fileRequest(a.t, "aks-prod-sre", 3600);
    const link = await clickApprove(a.t, "U0LEAD", approval);
    a.oidc.signInAs = LEE;
    const atEntra = await browse(a.t, link, { stopAt: (url) => url.pathname === "/stepup/callback" });
    const callback = atEntra.hops.at(-1) ?? "";
    const [onA, onB] = await Promise.all([browse(a.t, callback), browse(b.t, callback)]);
    expect([onA.status, onB.status].sort()).toEqual([200, 409]);
    await Promise.all([a.t.settle(), b.t.settle()]);
    expect(await a.t.store.requests.approvals(id)).toHaveLength(1);
  });
});
