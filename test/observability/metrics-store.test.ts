import { describe, expect, it } from "vitest";
import { Metrics, type StoreGauges } from "../../src/metrics.js";
import { startTestBot } from "../support/bot.js";
import { sample } from "./helpers.js";

const metricsOf = (storeGauges: () => Promise<StoreGauges | undefined>) =>
  new Metrics({ replica: "jitbot-0", storeGauges });

/** The store's gauges reach /metrics through one store read per scrape. */
describe("the store gauges on /metrics", () => {
  it("reads the store once per scrape for all its gauges, and shows what it answered", async () => {
    let reads = 0;
    const metrics = metricsOf(async () => {
      reads++;
      return { requestsByStatus: { pending: 2, active: 1 }, activeGrants: 1, replicasSeen: 3 };
    });
    const { body } = await metrics.scrape();
    expect(reads).toBe(1);
    expect(sample(body, "jitbot_requests", { state: "pending" })).toBe(2);
    expect(sample(body, "jitbot_requests", { state: "active" })).toBe(1);
    expect(sample(body, "jitbot_grants_active")).toBe(1);
    expect(sample(body, "jitbot_replicas_seen")).toBe(3);
    expect(sample(body, "jitbot_store_up")).toBe(1);
    await metrics.scrape();
    expect(reads).toBe(2);
  });

  it("labels every series with the replica", async () => {
    const metrics = metricsOf(async () => ({ requestsByStatus: { pending: 1 }, activeGrants: 0, replicasSeen: 1 }));
    metrics.revocationFailures.inc({ provider: "entra-group" }, 0);
    const { body } = await metrics.scrape();
    const series = body.split("\n").filter((line) => line !== "" && !line.startsWith("#"));
    expect(series.length).toBeGreaterThan(10);
    for (const line of series) expect(line).toContain('replica="jitbot-0"');
  });

  it("serves the other metrics when the store cannot answer, without its gauges and with jitbot_store_up 0", async () => {
    const metrics = metricsOf(() => Promise.reject(new Error("connection terminated")));
    metrics.revocationFailures.inc({ provider: "entra-group" }, 2);
    const { body } = await metrics.scrape();
    expect(sample(body, "jitbot_store_up")).toBe(0);
    expect(sample(body, "jitbot_revocation_failures_total", { provider: "entra-group" })).toBe(2);
    for (const name of ["jitbot_grants_active", "jitbot_requests", "jitbot_replicas_seen"]) {
      expect(body).not.toContain(name);
    }
  });

  it("comes back with the gauges at the first scrape after the store does", async () => {
    let up = false;
    const metrics = metricsOf(async () => {
      if (!up) throw new Error("connection terminated");
      return { requestsByStatus: {}, activeGrants: 4, replicasSeen: 2 };
    });
    expect(sample((await metrics.scrape()).body, "jitbot_store_up")).toBe(0);
    up = true;
    const { body } = await metrics.scrape();
    expect(sample(body, "jitbot_store_up")).toBe(1);
    expect(sample(body, "jitbot_grants_active")).toBe(4);
  });

  it("leaves the store gauges out once the store is closed (shutdown), rather than report 0 active grants", async () => {
    const { body } = await metricsOf(async () => undefined).scrape();
    expect(sample(body, "jitbot_store_up")).toBe(0);
    expect(body).not.toContain("jitbot_grants_active");
  });
});

describe("GET /metrics while the database cannot answer", () => {
  it("is 200 with the revocation metrics, jitbot_store_up 0 and a warning, where it was a 500", async () => {
    const t = await startTestBot();
    try {
      await t.store.kysely.schema.dropTable("requests").execute();
      const res = await fetch(`${t.bot.url}/metrics`);
      expect(res.status).toBe(200);
      const body = await res.text();
      expect(sample(body, "jitbot_store_up", { replica: "jitbot" })).toBe(0);
      expect(sample(body, "jitbot_revocation_failures_total", { provider: "entra-group" })).toBe(0);
      expect(body).not.toContain("jitbot_grants_active");
      expect(t.logs.some((line) => line.includes("could not read the database"))).toBe(true);
    } finally {
      await t.close();
    }
  });
});
