import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { REDACT_PATHS } from "../../src/logger.js";
import { Metrics } from "../../src/metrics.js";

const doc = readFileSync(new URL("../../docs/operations.md", import.meta.url), "utf8");

describe("docs/operations.md", () => {
  it("documents every jitbot metric the bot registers", async () => {
    const metrics = new Metrics({ replica: "jitbot-0", storeGauges: async () => undefined });
    const names = (await metrics.names()).filter((name) => !name.startsWith("jitbot_process_"));
    expect(names.length).toBeGreaterThanOrEqual(6);
    for (const name of names) expect(doc).toContain(`\`${name}\``);
  });

  it("lists every redacted log field", () => {
    for (const path of REDACT_PATHS.filter((p) => !p.startsWith("*."))) expect(doc).toContain(`\`${path}\``);
  });
});
