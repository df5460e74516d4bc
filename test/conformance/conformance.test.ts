import { afterEach, describe, expect, it } from "vitest";
import { jitbot } from "../doctor/output.js";
import { ALICE, type ConformanceWorld, marks, startConformanceWorld } from "./harness.js";

let w: ConformanceWorld | undefined;
afterEach(async () => {
  await w?.close();
  w = undefined;
});

const ALL_PASS = [
  ["✓", "grant"],
  ["✓", "read-back after grant"],
  ["✓", "revoke"],
  ["✓", "read-back after revoke"],
];

describe("jitbot conformance against the strict fakes", () => {
  for (const profile of ["canary-group", "canary-pim", "canary-sp", "canary-role", "canary-entry"]) {
    it(`${profile}: grant → read-back → revoke → read-back, all ✓, exit 0, nothing left behind`, async () => {
      w = await startConformanceWorld();
      const { code, output } = await w.run(["--profile", profile, "--user", ALICE]);
      expect(marks(output), output).toEqual(ALL_PASS);
      expect(code).toBe(0);
      expect(output).toContain("a 15m grant");
      expect(output).toMatch(/read-back after revoke .* gone after 0\.0 s \(1 read\)/);
      expect(w.graph.directory.isMember(w.groupId, w.aliceId)).toBe(false);
      expect(w.graph.directory.applications.size).toBe(0);
      expect(w.graph.directory.pimAssignments.size).toBe(0);
      expect(w.aws.accessEntries.size).toBe(0);
      // Secrets the grant produced (SP password, AWS keys) never reach the output.
      for (const app of w.graph.directory.applications.values())
        for (const p of app.passwords) expect(output).not.toContain(p.secretText);
      for (const session of w.aws.sessions) expect(output).not.toContain(session.secretAccessKey);
    });
  }

  it("shows how long the cloud took to show the removal (Entra replication lag)", async () => {
    w = await startConformanceWorld();
    w.graph.directory.removalLag = 5_000;
    const { code, output } = await w.run(["--profile", "canary-group", "--user", ALICE]);
    expect(code).toBe(0);
    // Reads at 0, 1, 3 and 7 s: the removal showed at the fourth.
    expect(output).toMatch(
      /✓\s+read-back after revoke\s+7\.0 s\s+.*no longer a direct member.*gone after 7\.0 s \(4 reads\)/,
    );
  });

  for (const [profile, keep] of [
    ["canary-group", "member"],
    ["canary-sp", "application"],
    ["canary-entry", "entry"],
  ] as const) {
    it(`${profile}: a ${keep} the fake keeps after the delete is a ✗ and a non-zero exit`, async () => {
      w = await startConformanceWorld();
      w.graph.directory.removalLag = "never";
      w.aws.entryRemovalLag = "never";
      const { code, output } = await w.run(["--profile", profile, "--user", ALICE]);
      expect(code).toBe(1);
      expect(marks(output)).toEqual([...ALL_PASS.slice(0, 3), ["✗", "read-back after revoke"]]);
      expect(output).toContain("still there 120.0 s after the revoke");
      expect(output).toContain("fix: remove the access by hand");
      expect(output).toContain("1 of 4 steps failed");
    });
  }

  it("aws-role without revokeSessions: issued keys cannot be recalled, so the revoke is not provable (✗)", async () => {
    w = await startConformanceWorld();
    const { code, output } = await w.run(["--profile", "canary-role-plain", "--user", ALICE]);
    expect(code).toBe(1);
    expect(marks(output).at(-1)).toEqual(["✗", "read-back after revoke"]);
    expect(output).toContain("fix: set grant.revokeSessions: true");
  });

  it("aws-role: a deny IAM acknowledged but did not keep is a ✗", async () => {
    w = await startConformanceWorld();
    w.aws.dropRolePolicyWrites = true;
    const { code, output } = await w.run(["--profile", "canary-role", "--user", ALICE]);
    expect(code).toBe(1);
    expect(output).toMatch(/✗\s+read-back after revoke .*no jitbot-revoked-sessions policy/);
  });

  it("a canary who already holds the access proves nothing: ✗, and their membership is left alone", async () => {
    w = await startConformanceWorld();
    w.graph.directory.groups.get(w.groupId)?.add(w.aliceId);
    const { code, output } = await w.run(["--profile", "canary-group", "--user", ALICE]);
    expect(code).toBe(1);
    expect(marks(output)).toContainEqual(["✗", "canary without standing access"]);
    expect(w.graph.directory.isMember(w.groupId, w.aliceId)).toBe(true);
  });

  it("a failed grant still attempts the revoke (roll-back), so nothing is left half-granted", async () => {
    w = await startConformanceWorld();
    w.graph.forbidNext(/^POST \/groups\/[^/]+\/members\/\$ref$/);
    const { code, output } = await w.run(["--profile", "canary-group", "--user", ALICE]);
    expect(code).toBe(1);
    expect(marks(output)).toEqual([
      ["✗", "grant"],
      ["✓", "revoke"],
      ["✓", "read-back after revoke"],
    ]);
    expect(output).toContain("GroupMember.ReadWrite.All");
  });

  it("refuses a dry-run policy with the reason, unless told to rehearse", async () => {
    w = await startConformanceWorld({ dryRun: true });
    const refused = await w.run(["--profile", "canary-group", "--user", ALICE]);
    expect(refused.code).toBe(2);
    expect(refused.output).toContain(
      "dryRun: true, so no grant would reach Entra or AWS and the run would prove nothing",
    );
    expect(w.graph.writes()).toEqual([]);
    const rehearsed = await w.run(["--profile", "canary-group", "--user", ALICE, "--allow-dry-run"]);
    expect(rehearsed.code).toBe(0);
    expect(rehearsed.output).toContain("only a run with dryRun: false proves the cloud");
    expect(w.graph.writes()).toEqual([]);
  });

  it("refuses bad arguments, unknown profiles and durations beyond the profile's max, changing nothing", async () => {
    w = await startConformanceWorld();
    const env = w.env;
    const cases: [string[], RegExp][] = [
      [["conformance"], /--profile and --user are required/],
      [["conformance", "--profile", "canary-group"], /--profile and --user are required/],
      [["conformance", "--profile", "nope", "--user", ALICE], /no profile nope .*\(profiles: canary-group, /],
      [["conformance", "--profile", "canary-group", "--user", "alice"], /not an email address/],
      [
        ["conformance", "--profile", "canary-group", "--user", ALICE, "--duration", "5h"],
        /longer than the profile's duration.max \(4h\)/,
      ],
      [["conformance", "--profile", "canary-group", "--user", ALICE, "--bogus"], /unknown argument --bogus/],
    ];
    for (const [args, sentence] of cases) {
      const { code, output } = await jitbot(args, env);
      expect(code, args.join(" ")).toBe(2);
      expect(output).toMatch(sentence);
    }
    expect(w.graph.writes()).toEqual([]);
  });

  it("--duration sets the grant's length (PIM is told the same)", async () => {
    w = await startConformanceWorld();
    const { code, output } = await w.run(["--profile", "canary-pim", "--user", ALICE, "--duration", "20m"]);
    expect(code).toBe(0);
    expect(output).toContain("a 20m grant");
    expect(JSON.stringify(w.graph.calls)).toContain("PT20M");
  });
});
