import { existsSync, readFileSync } from "node:fs";
import { parse } from "yaml";
import type { z } from "zod";
import { type Policy, policySchema } from "./schema.js";

export class ConfigError extends Error {
  constructor(
    readonly file: string,
    readonly problems: string[],
  ) {
    super(`${file} is not a valid jitbot policy:\n${problems.map((p) => `  - ${p}`).join("\n")}`);
    this.name = "ConfigError";
  }
}

/** `profiles[1].duration.max` from zod's path. */
export function formatPath(path: readonly PropertyKey[]): string {
  return path
    .map((key, i) => (typeof key === "number" ? `[${key}]` : i === 0 ? String(key) : `.${String(key)}`))
    .join("");
}

function describeIssue(issue: z.core.$ZodIssue): string {
  const where = issue.path.length ? formatPath(issue.path) : "(top level)";
  if (issue.code === "unrecognized_keys") {
    return issue.keys.map((key) => `${where === "(top level)" ? key : `${where}.${key}`}: unknown key`).join("\n");
  }
  if (issue.code === "invalid_type" && issue.input === undefined) return `${where}: is required`;
  if (issue.code === "invalid_union" && "discriminator" in issue) {
    return `${where}: ${issue.message.replace(/^Invalid input/, "unknown value")}`;
  }
  return `${where}: ${issue.message}`;
}

export function parsePolicy(text: string, file = "policy"): Policy {
  let raw: unknown;
  try {
    raw = parse(text);
  } catch (error) {
    throw new ConfigError(file, [`YAML syntax: ${(error as Error).message.split("\n")[0]}`]);
  }
  const result = policySchema.safeParse(raw ?? {});
  if (!result.success) {
    throw new ConfigError(
      file,
      result.error.issues.flatMap((issue) => describeIssue(issue).split("\n")),
    );
  }
  return result.data;
}

export function loadPolicyFile(file: string): Policy {
  if (!existsSync(file))
    throw new ConfigError(file, ["file not found (set JITBOT_CONFIG or copy jitbot.example.yaml)"]);
  return parsePolicy(readFileSync(file, "utf8"), file);
}
