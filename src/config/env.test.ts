import { describe, expect, it } from "vitest";
import { readEnv } from "./env.js";

describe("readEnv", () => {
  it("uses DESIGN.md's defaults", () => {
    const settings = readEnv({});
    expect(settings).toMatchObject({ port: 3000, dbPath: "./data/jitbot.db", logLevel: "info", slack: undefined });
    expect(settings.missingSlack).toEqual(["SLACK_BOT_TOKEN", "SLACK_SIGNING_SECRET"]);
  });

  it("runs in HTTP mode with a token and a signing secret", () => {
    const settings = readEnv({
      SLACK_BOT_TOKEN: "xoxb-1",
      SLACK_SIGNING_SECRET: "s",
      PORT: "8080",
      SLACK_API_URL: "http://127.0.0.1:1/api/",
    });
    expect(settings.slack).toEqual({
      botToken: "xoxb-1",
      signingSecret: "s",
      appToken: undefined,
      apiUrl: "http://127.0.0.1:1/api/",
    });
    expect(settings.port).toBe(8080);
  });

  it("runs in Socket Mode with an app token, without a signing secret", () => {
    const settings = readEnv({ SLACK_BOT_TOKEN: "xoxb-1", SLACK_APP_TOKEN: "xapp-1" });
    expect(settings.slack?.appToken).toBe("xapp-1");
    expect(settings.missingSlack).toEqual([]);
  });

  it("reads the policy and database locations", () => {
    const settings = readEnv({
      JITBOT_CONFIG: "/etc/jitbot/jitbot.yaml",
      JITBOT_DB: "/data/jitbot.db",
      LOG_LEVEL: "debug",
    });
    expect(settings).toMatchObject({
      configPath: "/etc/jitbot/jitbot.yaml",
      dbPath: "/data/jitbot.db",
      logLevel: "debug",
      usingExamplePolicy: false,
    });
  });

  it("reads JITBOT_DATABASE_URL beside JITBOT_DB: a PostgreSQL URL chooses PostgreSQL", () => {
    const url = "postgres://jitbot@db.example.com:5432/jitbot?schema=jitbot_prod";
    expect(readEnv({ JITBOT_DATABASE_URL: ` ${url} ` })).toMatchObject({
      databaseUrl: url,
      dbPath: "./data/jitbot.db",
    });
    expect(readEnv({ JITBOT_DATABASE_URL: " " }).databaseUrl).toBeUndefined();
  });

  it("reads JITBOT_AUDIT_KEY, and refuses one too short to key anything", () => {
    const key = "k".repeat(32);
    expect(readEnv({ JITBOT_AUDIT_KEY: ` ${key} ` })).toMatchObject({ auditKey: key, auditKeyProblem: undefined });
    expect(readEnv({})).toMatchObject({ auditKey: undefined, auditKeyProblem: undefined });
    expect(readEnv({ JITBOT_AUDIT_KEY: "secret" }).auditKeyProblem).toBe(
      "JITBOT_AUDIT_KEY is 6 characters; use at least 32 (openssl rand -hex 32)",
    );
  });
});
