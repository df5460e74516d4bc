// Mutation testing of the security-critical code (npm run mutate; not part of npm test: too slow
// for CI on two cores). The list of files is the issue's: Slack signing and escaping, domain/, the
// store's guarded transitions and audit chain, the revoker and expiry timer, provider error
// tolerance, secret redaction. Survivors that cannot change behaviour are explained in
// stryker.equivalent.md.
/** @type {import('@stryker-mutator/api/core').PartialStrykerOptions} */
export default {
  testRunner: "vitest",
  vitest: { configFile: "vitest.mutate.config.ts", related: true },
  checkers: ["typescript"],
  tsconfigFile: "tsconfig.json",
  typescriptChecker: { prioritizePerformanceOverAccuracy: true },
  coverageAnalysis: "perTest",
  mutate: process.env.JITBOT_MUTATE
    ? process.env.JITBOT_MUTATE.split(",")
    : [
        "src/slack/escape.ts",
        // Slack signing: the headers, skew, body cap and payload checks in front of Bolt's own
        // signature check (signing.ts only signs, for tests and the playground).
        "src/slack/request-guard.ts",
        "src/domain/**/*.ts",
        "!src/domain/**/*.test.ts",
        // The store's guarded transitions (request-rows.ts: the UPDATE … WHERE status = from),
        // decisions and approval counting (requests.ts), the grant's guarded moves and leases
        // (grants.ts, grant-ends.ts), and the audit chain (audit.ts).
        "src/store/request-rows.ts",
        "src/store/requests.ts",
        "src/store/grants.ts",
        "src/store/grant-ends.ts",
        "src/store/audit.ts",
        "src/grants/revoker.ts",
        "src/grants/revoke-proof.ts",
        "src/scheduler/expiry-timer.ts",
        "src/grants/errors.ts",
        "src/grants/aws/errors.ts",
        "src/logger.ts",
      ],
  incremental: true,
  incrementalFile: "reports/mutation/stryker-incremental.json",
  reporters: ["clear-text", "html", "json", "progress"],
  htmlReporter: { fileName: "reports/mutation/index.html" },
  jsonReporter: { fileName: "reports/mutation/mutation.json" },
  tempDirName: "reports/mutation/.stryker-tmp",
  concurrency: 2,
  timeoutMS: 20000,
  thresholds: { high: 90, low: 80, break: null },
};
