import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { DATABASE_AUTH_MODES } from "../../src/store/pg-auth.js";
import { repoRoot } from "./manifests.js";

const doc = readFileSync(join(repoRoot, "docs/deploy.md"), "utf8");

describe("docs/deploy.md", () => {
  it("names only repository files that exist (the operator's own overlays/ aside)", () => {
    const mentioned = new Set(doc.match(/(?:manifests\/[\w./-]*\w|slack-app-manifest[\w.-]*\.yaml|Dockerfile)/g) ?? []);
    const missing = [...mentioned].filter(
      (path) => !path.startsWith("manifests/overlays/") && !existsSync(join(repoRoot, path)),
    );
    expect(missing).toEqual([]);
  });

  it("covers both clouds, the Slack app, upgrades, backups and troubleshooting", () => {
    for (const heading of [
      "## 1. Create the Slack app",
      "## 4a. Deploy on AKS",
      "## 4b. Deploy on EKS",
      "## Prove it on your tenant before going live",
      "## Upgrading",
      "## Backing up the SQLite file",
      "## Troubleshooting",
    ])
      expect(doc).toContain(heading);
    expect(doc).toContain("| what you see | why | fix |");
    for (const symptom of [
      "SLACK_SIGNING_SECRET",
      "not_in_channel",
      "403",
      "AccessDenied",
      "revoking",
      "not a valid jitbot policy",
    ])
      expect(doc).toContain(symptom);
  });

  it("says how to run several replicas on PostgreSQL on Azure and on AWS, with the names the code reads", () => {
    const start = doc.indexOf("## Several replicas on PostgreSQL");
    expect(start).toBeGreaterThan(-1);
    const section = doc.slice(start, doc.indexOf("\n## ", start + 1));
    for (const heading of [
      "### The database and its roles",
      "### Running the migrations yourself (optional)",
      "### Azure Database for PostgreSQL flexible server",
      "### Amazon RDS for PostgreSQL",
      "### Applying `manifests/ha`",
      "### Moving an existing SQLite install",
    ])
      expect(section).toContain(heading);
    for (const mode of DATABASE_AUTH_MODES) expect(section).toContain(`\`${mode}\``);
    for (const needed of [
      "JITBOT_DATABASE_URL",
      "JITBOT_DATABASE_AUTH",
      "sslmode=verify-full",
      "pgaadauth_create_principal(",
      "https://ossrdbms-aad.database.windows.net/.default",
      "GRANT rds_iam TO jitbot",
      "rds-db:connect",
      "arn:aws:rds-db:<region>:<account>:dbuser:<DbiResourceId>/<database user>",
      "GRANT CONNECT ON DATABASE jitbot",
      "FOR UPDATE SKIP LOCKED",
      "kubectl apply -k manifests/ha",
    ])
      expect(section).toContain(needed);
  });
});
