import { defineConfig } from "vitest/config";

const shared = {
  testTimeout: 30_000,
  hookTimeout: 30_000,
  pool: "forks",
} as const;

/**
 * The bot's lifecycle and end-to-end tests run a second time with the store on PostgreSQL
 * (test/support/bot.ts reads JITBOT_TEST_ENGINE). Without JITBOT_TEST_DATABASE_URL that project is
 * left out, and the PostgreSQL global setup says so in one line; in CI it is always there, so the
 * setup fails the run rather than let the engine go untested.
 */
const onPostgres = Boolean(process.env.JITBOT_TEST_DATABASE_URL?.trim() || process.env.CI);

export default defineConfig({
  test: {
    ...shared,
    include: ["src/**/*.test.ts", "test/**/*.test.ts"],
    // Once for the run, whichever projects run (set on the root, not inherited by the projects):
    // makes the throwaway TLS certificate for the fake HTTPS servers (see the file for why), and
    // checks the PostgreSQL of JITBOT_TEST_DATABASE_URL (store tests run on both engines).
    globalSetup: ["test/fakes/tls-global-setup.ts", "test/support/postgres-global-setup.ts"],
    projects: [
      { test: { ...shared, name: "default", include: ["src/**/*.test.ts", "test/**/*.test.ts"] } },
      ...(onPostgres
        ? [
            {
              test: {
                ...shared,
                name: "postgres",
                include: ["test/lifecycle/**/*.test.ts", "test/e2e/**/*.test.ts", "test/break-glass/**/*.test.ts"],
                env: { JITBOT_TEST_ENGINE: "postgres" },
              },
            },
          ]
        : []),
    ],
  },
});
