import { defineConfig } from "vitest/config";
import base from "./vitest.config.js";

/**
 * The tests Stryker runs against each mutant: the unit tests beside the code and the in-process
 * integration suites of the mutated modules (expiry and revocation, AWS error handling, the audit
 * CLI). The Entra suites are left out: under Stryker's single test process their per-worker token
 * endpoint (test/entra/harness.ts) cannot be shared, and their dry run fails. The suites that drive
 * whole bots over Slack (lifecycle, e2e, browser, fuzz, bench) cover the same lines again and would
 * multiply a run's time on two cores. (Not mergeConfig: it would append these lists to the base's,
 * which includes every test.) Without the base's projects: one process, the default engine.
 * The store's tests run on SQLite only: the guards and the audit chain are the same queries on both
 * engines, and a mutant run needs no server, so a PostgreSQL URL in the shell is ignored here (and
 * its global setup, which would create a database per run, is left out).
 * JITBOT_MUTATE_TESTS (comma-separated globs) narrows the tests to a module's own: a module that
 * every booted bot loads (the expiry timer, the store) otherwise makes most of its mutants "static",
 * and each of those runs every related suite (about two minutes apiece on two cores).
 */
const { projects: _projects, ...single } = base.test ?? {};

export default defineConfig({
  test: {
    ...single,
    include: process.env.JITBOT_MUTATE_TESTS?.split(",") ?? [
      "src/**/*.test.ts",
      "test/expiry/**/*.test.ts",
      "test/aws/**/*.test.ts",
      "test/doctor/audit-verify.test.ts",
    ],
    exclude: ["test/expiry/mass.test.ts", "node_modules/**"],
    globalSetup: ["test/fakes/tls-global-setup.ts"],
    setupFiles: ["test/support/mutate-setup.ts"],
    env: { JITBOT_TEST_DATABASE_URL: "" },
  },
});
