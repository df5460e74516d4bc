/** What a bundle entry must get right; each problem is one sentence at the key at fault. */
export interface BundleProblem {
  path: (string | number)[];
  message: string;
}

/**
 * A bundle names at least two profiles of the policy, each once; its id is unique among bundles
 * and profiles alike (both are requested by id, so one id must mean one thing).
 */
export function bundleProblems(policy: {
  profiles: readonly { id: string }[];
  bundles: readonly { id: string; profiles: readonly string[] }[];
}): BundleProblem[] {
  const problems: BundleProblem[] = [];
  const profileIndex = new Map(policy.profiles.map((profile, index) => [profile.id, index]));
  const bundleIndex = new Map<string, number>();
  policy.bundles.forEach((bundle, index) => {
    const clash = profileIndex.get(bundle.id);
    const earlier = bundleIndex.get(bundle.id);
    if (clash !== undefined) {
      problems.push({
        path: ["bundles", index, "id"],
        message: `"${bundle.id}" is already the id of profiles[${clash}]; a bundle needs an id of its own`,
      });
    } else if (earlier !== undefined) {
      problems.push({
        path: ["bundles", index, "id"],
        message: `"${bundle.id}" is already used by bundles[${earlier}]`,
      });
    } else bundleIndex.set(bundle.id, index);
  });
  policy.bundles.forEach((bundle, index) => {
    if (bundle.profiles.length < 2) {
      problems.push({
        path: ["bundles", index, "profiles"],
        message:
          bundle.profiles.length === 1
            ? `lists one profile; a bundle needs at least two (request "${bundle.profiles[0]}" on its own instead)`
            : "lists no profile; a bundle needs at least two",
      });
    }
    const listed = new Set<string>();
    bundle.profiles.forEach((id, at) => {
      const path = ["bundles", index, "profiles", at];
      if (listed.has(id)) problems.push({ path, message: `"${id}" is listed twice` });
      else if (!profileIndex.has(id) && bundleIndex.has(id))
        problems.push({ path, message: `"${id}" is a bundle; a bundle lists profiles, not other bundles` });
      else if (!profileIndex.has(id)) problems.push({ path, message: `no profile has the id "${id}"` });
      listed.add(id);
    });
  });
  return problems;
}
