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

export function parseSelector(text: string): Requirement[] | undefined {
  const requirements: Requirement[] = [];
  // Split on commas outside parentheses.
  const parts = text.match(/([^,(]|\([^)]*\))+/g) ?? [];
  for (const raw of parts) {
    const part = raw.trim();
    let m: RegExpExecArray | null;
    if ((m = new RegExp(`^(${KEY})\\s*(==|=|!=)\\s*([-A-Za-z0-9_.]*)$`).exec(part))) {
      requirements.push({ op: m[2] === "!=" ? "ne" : "eq", key: m[1] ?? "", value: m[3] ?? "" });
    } else if ((m = new RegExp(`^(${KEY})\\s+(in|notin)\\s*\\(([^)]*)\\)$`).exec(part))) {
      const values = (m[3] ?? "").split(",").map((v) => v.trim());
      requirements.push({ op: m[2] === "in" ? "in" : "notin", key: m[1] ?? "", values });
    } else if ((m = new RegExp(`^(!?)(${KEY})$`).exec(part))) {
      requirements.push({ op: m[1] ? "absent" : "exists", key: m[2] ?? "" });
    } else return undefined;
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
    }
  });
}
