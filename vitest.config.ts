import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    include: ["src/**/*.test.ts", "test/**/*.test.ts"],
    testTimeout: 30_000,
    hookTimeout: 30_000,
    pool: "forks",
    // Makes the throwaway TLS certificate for the fake HTTPS servers; see the file for why.
    // And checks the PostgreSQL of JITBOT_TEST_DATABASE_URL (store tests run on both engines).
    globalSetup: ["test/fakes/tls-global-setup.ts", "test/support/postgres-global-setup.ts"],
  },
});
