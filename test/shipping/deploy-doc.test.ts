import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
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
});
