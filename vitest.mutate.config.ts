import { defineConfig, mergeConfig } from "vitest/config";
import base from "./vitest.config.js";

/**
 * The tests Stryker runs against each mutant: everything but the browser, bench, fuzz, end-to-end and shipping suites,
 * which cover no security-critical line the others miss and would multiply a run's time.
 */
export default mergeConfig(
  base,
  defineConfig({
    test: {
      exclude: [
        "test/playground/**",
        "test/bench/**",
        "test/fuzz/**",
        "test/e2e/**",
        "test/shipping/**",
        "node_modules/**",
      ],
    },
  }),
);
