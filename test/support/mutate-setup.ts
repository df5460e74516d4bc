import fc from "fast-check";

/**
 * Under Stryker only (vitest.mutate.config.ts): a property that fails has caught its mutant, and
 * shrinking the counterexample (seconds to minutes for 400-character inputs) would only make the
 * run time out. npm test keeps shrinking, so a real failure still reports its smallest case.
 */
fc.configureGlobal({ endOnFailure: true });
