/**
 * `npx tsx bench/store-engines.ts [N]`: N requests through the store's whole life on each engine
 * (filed, approved, granted, activated, expired: five transactions, each with its audit row), one
 * at a time and then 16 at once. PostgreSQL runs when JITBOT_BENCH_DATABASE_URL (or
 * JITBOT_TEST_DATABASE_URL) is set; it gets a schema of its own, dropped afterwards.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import pg from "pg";
import { Store } from "../src/store/index.js";

const N = Number(process.argv[2] ?? 500);
const at = new Date("2026-03-02T10:00:00Z");
const expiresAt = new Date(at.getTime() + 3600_000);

async function life(store: Store, id: string): Promise<void> {
  await store.requests.insert({
    id,
    profileId: "aks-prod-sre",
    requesterId: "U0ALICE",
    requesterName: "Alice",
    requesterEmail: "alice@example.com",
    durationSeconds: 3600,
    justification: "benchmarking the store",
    ticket: "OPS-1",
    createdAt: at,
    extendsRequestId: undefined,
  });
  await store.requests.decide({ id, approverId: "U0BOB", decision: "approve", required: 1, at });
  await store.grants.start({ requestId: id, provider: "entra-group", at, expiresAt });
  await store.grants.activate({ requestId: id, state: { userId: "u1" }, at, expiresAt });
  await store.grants.end({ requestId: id, reason: "expired", at: expiresAt, actor: "jitbot", detail: "removed" });
}

async function run(name: string, location: string): Promise<void> {
  const store = await Store.open(location);
  let started = performance.now();
  for (let i = 0; i < N; i++) await life(store, `JR-S${i}`);
  const serial = performance.now() - started;
  started = performance.now();
  const ids = Array.from({ length: N }, (_, i) => `JR-P${i}`);
  const workers = Array.from({ length: 16 }, async () => {
    for (let id = ids.shift(); id; id = ids.shift()) await life(store, id);
  });
  await Promise.all(workers);
  const parallel = performance.now() - started;
  const verdict = await store.verifyAudit();
  await store.close();
  const tx = N * 5;
  console.log(
    `${name.padEnd(10)} ${N} lives (${tx} transactions) one at a time: ${serial.toFixed(0)} ms = ${((tx / serial) * 1000).toFixed(0)} tx/s; ` +
      `16 at once: ${parallel.toFixed(0)} ms = ${((tx / parallel) * 1000).toFixed(0)} tx/s; audit ${verdict.ok ? "intact" : "BROKEN"} (${verdict.events} events)`,
  );
}

const dir = mkdtempSync(join(tmpdir(), "jitbot-bench-"));
try {
  await run("sqlite", join(dir, "bench.db"));
  const base = process.env.JITBOT_BENCH_DATABASE_URL ?? process.env.JITBOT_TEST_DATABASE_URL;
  if (base) {
    const schema = `bench_${process.pid}`;
    const url = new URL(base);
    url.searchParams.set("schema", schema);
    try {
      await run("postgresql", url.toString());
    } finally {
      const admin = new pg.Client({ connectionString: base });
      await admin.connect();
      await admin.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
      await admin.end();
    }
  }
} finally {
  rmSync(dir, { recursive: true, force: true });
}
