/**
 * Label selectors as the list calls take them (`?labelSelector=`).
 *
 * Sources:
 * - LABELS = https://kubernetes.io/docs/concepts/overview/working-with-objects/labels/ ("Label
 *   selectors", "Equality-based requirement", "Set-based requirement", "LIST and WATCH filtering"):
 *   "Three kinds of operators are admitted =,==,!=. The first two represent equality (and are
 *   simply synonyms), while the latter represents inequality"; "Three kinds of operators are
 *   supported: in,notin and exists (only the key identifier)"; and "the comma separator acts as an
 *   AND operator".
 * - PARSER = kubernetes/apimachinery pkg/labels/selector.go (Parse, NewRequirement): a key must be a
 *   valid label key and a value a valid label value, else the selector does not parse (the list
 *   call answers 400 BadRequest, see kube-routes.ts); `in ()` is the set {""}.
 */
import { labelKeyProblems, labelValueProblems } from "./kube-validate.js";

export type Requirement =
  | { op: "eq" | "ne"; key: string; value: string }
  | { op: "in" | "notin"; key: string; values: string[] }
  | { op: "exists" | "absent"; key: string };

const KEY = "[A-Za-z0-9][-A-Za-z0-9_./]*";

const EQUALITY = new RegExp(`^(${KEY})\\s*(==|=|!=)\\s*([-A-Za-z0-9_.]*)$`);
const SET = new RegExp(`^(${KEY})\\s+(in|notin)\\s*\\(([^)]*)\\)$`);
const EXISTENCE = new RegExp(`^(!?)(${KEY})$`);

/** PARSER NewRequirement: the key is a label key and every value a label value (LABELS "Syntax and character set"). */
function wellFormed(requirement: Requirement): boolean {
  if (labelKeyProblems(requirement.key).length > 0) return false;
  const values = "value" in requirement ? [requirement.value] : "values" in requirement ? requirement.values : [];
  return values.every((v) => labelValueProblems(v).length === 0);
}

function requirementOf(part: string): Requirement | undefined {
  const equality = EQUALITY.exec(part);
  if (equality) return { op: equality[2] === "!=" ? "ne" : "eq", key: equality[1] ?? "", value: equality[3] ?? "" };
  const set = SET.exec(part);
  if (set) {
    const values = (set[3] ?? "").split(",").map((v) => v.trim());
    return { op: set[2] === "in" ? "in" : "notin", key: set[1] ?? "", values };
  }
  const existence = EXISTENCE.exec(part);
  if (existence) return { op: existence[1] ? "absent" : "exists", key: existence[2] ?? "" };
  return undefined;
}

export function parseSelector(text: string): Requirement[] | undefined {
  // An empty selector is no requirement at all: it selects everything (PARSER Parse("") is Everything).
  const requirements: Requirement[] = [];
  // Split on commas outside parentheses.
  for (const raw of text.match(/([^,(]|\([^)]*\))+/g) ?? []) {
    const requirement = requirementOf(raw.trim());
    if (!requirement || !wellFormed(requirement)) return undefined;
    requirements.push(requirement);
  }
  return requirements;
}

/**
 * LABELS: every requirement must hold ("the comma separator acts as an AND operator"); `!=` and
 * `notin` also select "all resources with no labels with the … key"; `key` selects "all resources
 * including a label with key …", `!key` "all resources without a label with key …".
 */
export function selects(requirements: Requirement[], labels: Record<string, string>): boolean {
  return requirements.every((r) => {
    const value = labels[r.key];
    switch (r.op) {
      case "eq":
        return value === r.value;
      case "ne":
        return value !== r.value;
      case "in":
        return value !== undefined && r.values.includes(value);
      case "notin":
        return value === undefined || !r.values.includes(value);
      case "exists":
        return value !== undefined;
      case "absent":
        return value === undefined;
      default:
        return false;
    }
  });
}
