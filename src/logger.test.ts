import { describe, expect, it } from "vitest";
import { boltLogger, createLogger } from "./logger.js";

function capture() {
  const lines: string[] = [];
  return { lines, logger: createLogger("debug", { write: (line: string) => void lines.push(line) }) };
}

describe("logging", () => {
  it("redacts secret-bearing fields wherever they appear", () => {
    const { lines, logger } = capture();
    logger.info({ token: "xoxb-1", nested: { secret: "s3cr3t", password: "pw" }, SessionToken: "FQoG" }, "x");
    const line = lines.join("");
    for (const secret of ["xoxb-1", "s3cr3t", '"pw"', "FQoG"]) expect(line).not.toContain(secret);
    expect(line).toContain("[redacted]");
  });

  it("drops the Slack client's debug lines that carry request or response bodies", () => {
    const { lines, logger } = capture();
    const bolt = boltLogger(logger);
    bolt.debug('http request body: {"channel":"U1","blocks":[{"text":"AWS_SECRET_ACCESS_KEY=abc"}]}');
    bolt.debug('http request result: {"ok":true,"message":{"text":"secret"}}');
    bolt.debug("apiCall('chat.postMessage') start");
    expect(lines.join("")).not.toContain("AWS_SECRET_ACCESS_KEY");
    expect(lines.join("")).not.toContain("secret");
    expect(lines.join("")).toContain("chat.postMessage");
  });
});
