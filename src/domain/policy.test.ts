import { describe, expect, it } from "vitest";
import { parsePolicy } from "../config/load.js";
import type { Profile } from "../config/schema.js";
import {
  checkApprover,
  durationChoices,
  findProfile,
  groupsThatMatter,
  mayRequest,
  type Person,
  requestableProfiles,
  validateRequestInput,
} from "./policy.js";

/** Two profiles, one per way of naming people: by user id and by Slack user group. */
const policy = parsePolicy(
  `
profiles:
  - id: closed
    title: Closed
    cluster: { kind: eks, name: c1, region: us-west-2 }
    grant: { type: aws-role, roleArn: "arn:aws:iam::123456789012:role/R" }
    duration: { default: 1h, max: 4h }
    requesters: { users: [U0ALICE], slackUserGroups: [S0SRE] }
    approval: { channel: C0APPROVALS, approvers: { users: [U0LEAD], slackUserGroups: [S0ONCALL] } }
    justification: { minLength: 10 }
    ticket: { required: true, pattern: "^[A-Z]+-[0-9]+$" }
  - id: open
    title: Open
    cluster: { kind: eks, name: c1, region: us-west-2 }
    grant: { type: aws-role, roleArn: "arn:aws:iam::123456789012:role/R" }
    duration: { default: 30m, max: 90m }
    approval: { channel: C0APPROVALS, approvers: { users: [U0LEAD, U0ALICE] }, selfApproval: true }
`,
  "policy.test.yaml",
);
const profile = (id: string): Profile => {
  const found = policy.profiles.find((p) => p.id === id);
  if (!found) throw new Error(id);
  return found;
};
const person = (id: string, ...groups: string[]): Person => ({ id, groups });

describe("who may request", () => {
  const cases = [
    { name: "a listed user may request", profile: "closed", who: person("U0ALICE"), may: true },
    { name: "a member of a listed group may request", profile: "closed", who: person("U0BOB", "S0SRE"), may: true },
    { name: "anyone else may not", profile: "closed", who: person("U0EVE", "S0OTHER"), may: false },
    { name: "a profile without requesters is open to the workspace", profile: "open", who: person("U0EVE"), may: true },
  ];
  for (const c of cases) {
    it(c.name, () => {
      expect(mayRequest(profile(c.profile), c.who)).toBe(c.may);
    });
  }
});

describe("who may decide", () => {
  const cases = [
    { name: "an approver by user id may decide", profile: "closed", requester: "U0ALICE", who: person("U0LEAD") },
    {
      name: "an approver by user group may decide",
      profile: "closed",
      requester: "U0ALICE",
      who: person("U0OMAR", "S0SRE", "S0ONCALL"),
    },
    {
      name: "someone in neither list is not an approver",
      profile: "closed",
      requester: "U0ALICE",
      who: person("U0EVE", "S0SRE"),
      refusal: "NOT_AN_APPROVER",
    },
    {
      name: "with selfApproval: false an approver may not decide on their own request",
      profile: "closed",
      requester: "U0LEAD",
      who: person("U0LEAD"),
      refusal: "SELF_APPROVAL",
    },
    {
      name: "with selfApproval: true an approver may decide on their own request",
      profile: "open",
      requester: "U0ALICE",
      who: person("U0ALICE"),
    },
    {
      name: "selfApproval: true does not make a requester an approver",
      profile: "open",
      requester: "U0EVE",
      who: person("U0EVE"),
      refusal: "NOT_AN_APPROVER",
    },
  ];
  for (const c of cases) {
    it(c.name, () => {
      expect(checkApprover(profile(c.profile), c.requester, c.who)?.code).toBe(c.refusal);
    });
  }
});

describe("what a person typed, against the profile", () => {
  const good = { durationSeconds: 3600, justification: "Rotating the ingress cert", ticket: "OPS-7" };
  const cases: { name: string; input: Partial<typeof good> & { durationSeconds?: number }; errors: object }[] = [
    { name: "a good request has no errors", input: {}, errors: {} },
    { name: "the cap itself is allowed", input: { durationSeconds: 4 * 3600 }, errors: {} },
    {
      name: "one second over the cap is refused",
      input: { durationSeconds: 4 * 3600 + 1 },
      errors: { duration: "DURATION_OVER_CAP" },
    },
    { name: "one minute is allowed", input: { durationSeconds: 60 }, errors: {} },
    { name: "under a minute is refused", input: { durationSeconds: 59 }, errors: { duration: "DURATION_TOO_SHORT" } },
    { name: "zero is not a duration", input: { durationSeconds: 0 }, errors: { duration: "DURATION_INVALID" } },
    {
      name: "a fraction is not a duration",
      input: { durationSeconds: 90.5 },
      errors: { duration: "DURATION_INVALID" },
    },
    {
      name: "a justification of exactly the minimum length is allowed",
      input: { justification: "0123456789" },
      errors: {},
    },
    {
      name: "spaces do not count towards the justification's length",
      input: { justification: "  short   \n      " },
      errors: { justification: "JUSTIFICATION_TOO_SHORT" },
    },
    { name: "a required ticket must be there", input: { ticket: "  " }, errors: { ticket: "TICKET_REQUIRED" } },
    { name: "a ticket must match the pattern", input: { ticket: "ops 7" }, errors: { ticket: "TICKET_INVALID" } },
    { name: "a ticket is trimmed before matching", input: { ticket: " OPS-7 " }, errors: {} },
  ];
  for (const c of cases) {
    it(c.name, () => {
      const errors = validateRequestInput(profile("closed"), { ...good, ...c.input });
      expect(Object.fromEntries(Object.entries(errors).map(([field, error]) => [field, error?.code]))).toEqual(
        c.errors,
      );
    });
  }

  it("refuses a missing duration", () => {
    expect(validateRequestInput(profile("closed"), { ...good, durationSeconds: undefined }).duration?.code).toBe(
      "DURATION_INVALID",
    );
  });

  it("does not ask for a ticket where none is required", () => {
    expect(validateRequestInput(profile("open"), { ...good, ticket: "" })).toEqual({});
  });

  it("says in each refusal what the rule was, so the person's sentence can name it", () => {
    const errors = (input: Partial<typeof good>) => validateRequestInput(profile("closed"), { ...good, ...input });
    expect(errors({ durationSeconds: 4 * 3600 + 1 }).duration?.detail).toEqual({ max: 4 * 3600 });
    expect(errors({ durationSeconds: 59 }).duration?.detail).toEqual({ min: 60 });
    expect(errors({ justification: "short" }).justification?.detail).toEqual({ minLength: 10 });
    expect(errors({ ticket: "ops 7" }).ticket?.detail).toEqual({ pattern: "^[A-Z]+-[0-9]+$" });
    expect(checkApprover(profile("closed"), "U0ALICE", person("U0EVE"))?.detail).toEqual({ profile: "closed" });
  });

  it("takes any ticket where none is required and no pattern is set", () => {
    expect(validateRequestInput(profile("open"), { ...good, ticket: "whatever #12" })).toEqual({});
  });

  it("refuses a justification or a ticket over its cap, naming the field (a forged payload ignores max_length)", () => {
    const errors = validateRequestInput(profile("closed"), {
      ...good,
      justification: "x".repeat(2001),
      ticket: `OPS-${"1".repeat(97)}`,
    });
    expect(errors.justification).toMatchObject({ code: "TEXT_TOO_LONG", detail: { field: "justification" } });
    expect(errors.ticket).toMatchObject({ code: "TEXT_TOO_LONG", detail: { field: "ticket" } });
    expect(Object.keys(validateRequestInput(profile("closed"), { ...good, justification: "x".repeat(2000) }))).toEqual(
      [],
    );
  });
});

describe("the durations offered", () => {
  it("offers the standard steps up to the cap, plus the default and the cap", () => {
    expect(durationChoices(profile("open"))).toEqual([900, 1800, 3600, 5400]);
    expect(durationChoices(profile("closed"))).toEqual([900, 1800, 3600, 7200, 14_400]);
  });

  it("puts a default between the standard steps in its place, in ascending order", () => {
    const odd = { ...profile("closed"), duration: { default: 2700, max: 10_000 } };
    expect(durationChoices(odd)).toEqual([900, 1800, 2700, 3600, 7200, 10_000]);
  });
});

describe("profiles and the groups a decision depends on", () => {
  it("lists only the profiles a person may request, and finds one by id", () => {
    expect(requestableProfiles(policy, person("U0EVE")).map((p) => p.id)).toEqual(["open"]);
    expect(requestableProfiles(policy, person("U0ALICE")).map((p) => p.id)).toEqual(["closed", "open"]);
    expect(findProfile(policy, "open")?.id).toBe("open");
    expect(findProfile(policy, "none")).toBeUndefined();
  });

  it("asks Slack about the requester groups and the approver groups, and no others", () => {
    expect(groupsThatMatter(profile("closed"))).toEqual(["S0SRE", "S0ONCALL"]);
    expect(groupsThatMatter(profile("open"))).toEqual([]);
  });
});
