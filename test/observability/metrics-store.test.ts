import { describe, expect, it } from "vitest";
import { Metrics, type StoreGauges } from "../../src/metrics.js";

/** The store's gauges reach /metrics through prom-client's async collect, one store read per scrape. */
describe("the store gauges on /metrics", () => {
  const sample = (text: string, line: string) => text.split("\n").includes(line);

  it("reads the store once per scrape for both gauges, and shows what it answered", async () => {
    let reads = 0;
    const metrics = new Metrics(async (): Promise<StoreGauges> => {
      reads++;
      return { requestsByStatus: { pending: 2, active: 1 }, activeGrants: 1 };
    });
    const text = await metrics.registry.metrics();
    expect(reads).toBe(1);
    expect(sample(text, 'jitbot_requests{state="pending"} 2')).toBe(true);
    expect(sample(text, 'jitbot_requests{state="active"} 1')).toBe(true);
    expect(sample(text, "jitbot_grants_active 1")).toBe(true);
    await metrics.registry.metrics();
    expect(reads).toBe(2);
  });

  it("fails the scrape when the store cannot answer, rather than report 0 active grants", async () => {
    const metrics = new Metrics(() => Promise.reject(new Error("connection terminated")));
    await expect(metrics.registry.metrics()).rejects.toThrow("connection terminated");
  });

  it("shows no requests and 0 active grants once the store is closed", async () => {
    const metrics = new Metrics(async () => undefined);
    const text = await metrics.registry.metrics();
    expect(text).not.toContain("jitbot_requests{");
    expect(sample(text, "jitbot_grants_active 0")).toBe(true);
  });
});
