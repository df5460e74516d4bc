#!/usr/bin/env node
// Runs the compiled CLI when present (container), else the TypeScript source through tsx.
import { existsSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const compiled = join(root, "dist", "cli.js");
if (existsSync(compiled)) {
  const { runCli } = await import(pathToFileURL(compiled).href);
  process.exit(await runCli(process.argv.slice(2)));
} else {
  const { register } = await import("tsx/esm/api");
  register();
  const { runCli } = await import(pathToFileURL(join(root, "src", "cli.ts")).href);
  process.exit(await runCli(process.argv.slice(2)));
}
