/**
 * Label selectors as the list calls take them (kubernetes.io/docs/concepts/overview/working-with-
 * objects/labels, "Label selectors"): comma-separated requirements, equality-based (`=`, `==`, `!=`),
 * set-based (`in (…)`, `notin (…)`), existence (`key`, `!key`). "the comma separator acts as a
 * logical AND".
 */
export type Requirement =
  | { op: "eq" | "ne"; key: string; value: string }
  | { op: "in" | "notin"; key: string; values: string[] }
  | { op: "exists" | "absent"; key: string };

const KEY = "[A-Za-z0-9][-A-Za-z0-9_./]*";

const EQUALITY = new RegExp(`^(${KEY})\\s*(==|=|!=)\\s*([-A-Za-z0-9_.]*)$`);
const SET = new RegExp(`^(${KEY})\\s+(in|notin)\\s*\\(([^)]*)\\)$`);
const EXISTENCE = new RegExp(`^(!?)(${KEY})$`);

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
  const requirements: Requirement[] = [];
  // Split on commas outside parentheses.
  for (const raw of text.match(/([^,(]|\([^)]*\))+/g) ?? []) {
    const requirement = requirementOf(raw.trim());
    if (!requirement) return undefined;
    requirements.push(requirement);
  }
  return requirements;
}

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
