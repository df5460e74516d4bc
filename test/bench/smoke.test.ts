import { describe, expect, it } from "vitest";
import { QUICK, runBench } from "../../bench/lib/suite.js";

/**
 * The bench's own test: every scenario, tiny, in-process. It checks counts and exactly-once only;
 * timing decides nothing here (benchmarks report numbers, they do not fail on a slow machine).
 */
describe("npm run bench -- --quick", () => {
  it("runs every scenario and each one does what it claims", async () => {
    const report = await runBench(QUICK, "quick");
    const checks = Object.fromEntries(report.results.map((r) => [r.scenario, r.checks]));

    expect(checks.ack).toMatchObject({ answered: QUICK.ack.total, errors: 0 });
    expect(checks.ack?.referenceAnswered).toBe((QUICK.ack.reference?.total ?? 0) + QUICK.ack.total);
    expect(checks.ack?.granted).toBe(checks.ack?.approvals);

    for (const latency of QUICK.approve.latencies) {
      expect(checks["approve→DM"]?.[`dms_${latency}ms`]).toBe(QUICK.approve.requests);
      expect(checks["approve→DM"]?.[`grants_${latency}ms`]).toBe(QUICK.approve.requests);
    }

    expect(checks["revocation lag"]).toMatchObject({
      timerRevoked: QUICK.lag.grants,
      timerDuplicates: 0,
      sweepRevoked: QUICK.lag.grants,
      sweepDuplicates: 0,
    });

    expect(checks["mass expiry"]).toMatchObject({
      ended: QUICK.mass.grants,
      exactlyOnce: true,
      stillMembers: 0,
      deletes: QUICK.mass.grants,
      distinctUsers: QUICK.mass.grants,
    });
    // The tiny run is sized so the fake Graph really throttles: the 429 path is exercised.
    expect(checks["mass expiry"]?.throttled).toBeGreaterThan(0);

    // Every binding was deleted, and the cluster itself said "denied" for every person after the end.
    expect(checks["effective revocation lag"]).toMatchObject({
      grants: QUICK.effectiveLag.grants,
      denied: QUICK.effectiveLag.grants,
      stillBound: 0,
    });

    expect(checks["catch-up"]).toMatchObject({ revoked: QUICK.catchUp.grants, duplicates: 0, active: 0 });
    expect(checks["idle sweep"]).toMatchObject({
      revoked: 0,
      grants: QUICK.idle.finished + QUICK.idle.active,
      active: QUICK.idle.active,
    });

    // The replica scenarios need PostgreSQL: without a server they skip (printed); in CI the test
    // database URL is set and they must run.
    const replicas = ["revocation lag, 3 replicas", "mass expiry, 3 replicas", "ack, 3 replicas"];
    const ran = replicas.filter((name) => checks[name]?.skipped !== true);
    if (process.env.JITBOT_TEST_DATABASE_URL) expect(ran).toEqual(replicas);
    if (ran.includes("revocation lag, 3 replicas")) {
      expect(checks["revocation lag, 3 replicas"]).toMatchObject({
        seeded: QUICK.replicasLag.grants,
        revoked: QUICK.replicasLag.grants,
        duplicates: 0,
        missing: 0,
        revokedByA: 0,
      });
    }
    if (ran.includes("mass expiry, 3 replicas")) {
      expect(checks["mass expiry, 3 replicas"]).toMatchObject({
        ended: QUICK.replicasMass.grants,
        exactlyOnce: true,
        stillMembers: 0,
        deletes: QUICK.replicasMass.grants,
        distinctUsers: QUICK.replicasMass.grants,
      });
    }
    if (ran.includes("ack, 3 replicas")) {
      expect(checks["ack, 3 replicas"]).toMatchObject({ answered: QUICK.replicasAck.total, errors: 0 });
      expect(checks["ack, 3 replicas"]?.granted).toBe(checks["ack, 3 replicas"]?.approvals);
    }

    const rows = [...report.results.flatMap((r) => r.rows), report.memory];
    expect(rows.filter((r) => r.target && r.target !== "reported").every((r) => typeof r.met === "boolean")).toBe(true);
  }, 180_000); // counts, not speed: a loaded two-core machine must not fail it
});
