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
  if (issue.code === "invalid_type") return `${where}: ${wrongType(issue.expected, issue.input)}`;
  if (issue.code === "invalid_union" && "discriminator" in issue) {
    return `${where}: ${issue.message.replace(/^Invalid input/, "unknown value")}`;
  }
  if (issue.code === "invalid_union") return describeUnion(issue);
  return `${where}: ${issue.message}`;
}

/**
 * `grant:` is one grant or a list: the alternative whose complaint is more than "wrong type" is the
 * one the operator meant, and its own issues name the key at fault; none means neither shape fits.
 */
function describeUnion(issue: z.core.$ZodIssueInvalidUnion): string {
  const meant = issue.errors.find(
    (issues) => !(issues.length === 1 && issues[0]?.code === "invalid_type" && issues[0].path.length === 0),
  );
  if (meant) return meant.map((inner) => describeIssue({ ...inner, path: [...issue.path, ...inner.path] })).join("\n");
  const where = issue.path.length ? formatPath(issue.path) : "(top level)";
  const shapes = issue.errors.flatMap((issues) =>
    issues[0]?.code === "invalid_type" ? [EXPECTED[issues[0].expected] ?? `a ${issues[0].expected}`] : [],
  );
  if (!shapes.length) return `${where}: ${issue.message}`;
  return `${where}: expected ${shapes.join(" or ")}, got ${issue.input === undefined ? "nothing" : kindOf(issue.input)}`;
}

/** What YAML gave, in the words of someone who wrote it (a "mapping" is `key: value` lines). */
function kindOf(value: unknown): string {
  if (Array.isArray(value)) return "a list";
  if (value === null) return "nothing";
  if (typeof value === "object") return "a mapping";
  if (typeof value === "boolean") return "true or false";
  return `a ${typeof value}`;
}

const EXPECTED: Record<string, string> = { object: "a mapping", array: "a list", boolean: "true or false" };

/** Absent is "required"; present with the wrong type says which type it is, so the fix is obvious. */
function wrongType(expected: string, input: unknown): string {
  if (input === undefined) return "is required";
  return `expected ${EXPECTED[expected] ?? `a ${expected}`}, got ${kindOf(input)}`;
}

export function parsePolicy(text: string, file = "policy"): Policy {
  let raw: unknown;
  try {
    raw = parse(text);
  } catch (error) {
    throw new ConfigError(file, [`YAML syntax: ${(error as Error).message.split("\n")[0]}`]);
  }
  const result = policySchema.safeParse(raw ?? {}, { reportInput: true });
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
