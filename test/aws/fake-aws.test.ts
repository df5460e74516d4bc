import { AssociateAccessPolicyCommand, EKSClient, ListAccessEntriesCommand } from "@aws-sdk/client-eks";
import { IAMClient, PutRolePolicyCommand } from "@aws-sdk/client-iam";
import { AssumeRoleCommand, type AssumeRoleCommandInput, STSClient } from "@aws-sdk/client-sts";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { awsErrorShape } from "../../src/grants/aws/errors.js";
import { FakeAws } from "../fakes/aws-server.js";
import { ROLE_ARN } from "./helpers.js";

/** The strict fake refuses what AWS refuses, the way the real SDK sees it: status and error name. */
let fake: FakeAws;
const credentials = { accessKeyId: "AKIDJITBOTTEST000001", secretAccessKey: "jitbot-test-bot-secret-key" };
let sts: STSClient;
let chained: STSClient;
let iam: IAMClient;
let eks: EKSClient;

beforeAll(async () => {
  fake = new FakeAws();
  const endpoint = await fake.start();
  const base = { region: "us-west-2", endpoint, maxAttempts: 1 };
  sts = new STSClient({ ...base, credentials });
  chained = new STSClient({ ...base, credentials: { ...credentials, sessionToken: "FwoGZXIvYXdzEBotSession" } });
  iam = new IAMClient({ ...base, credentials });
  eks = new EKSClient({ ...base, credentials });
});
afterAll(async () => {
  for (const client of [sts, chained, iam, eks]) client.destroy();
  await fake.close();
});

async function refusal(
  promise: Promise<unknown>,
): Promise<{ name: string; status: number | undefined; message: string }> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  if (error === undefined) throw new Error("expected a refusal");
  const shape = awsErrorShape(error);
  return { name: shape.name, status: shape.statusCode, message: shape.message };
}

const assume = (input: Partial<AssumeRoleCommandInput>, client = sts) =>
  client.send(new AssumeRoleCommand({ RoleArn: ROLE_ARN, RoleSessionName: "alice@example.com", ...input }));

describe("fake STS AssumeRole", () => {
  it.each([
    ["a one-character session name", { RoleSessionName: "a" }, /at 'roleSessionName'.*greater than or equal to 2/],
    ["a session name with a space", { RoleSessionName: "Zoë O'Brien" }, /at 'roleSessionName'.*pattern/],
    [
      "a 65-character SourceIdentity",
      { SourceIdentity: "x".repeat(65) },
      /at 'sourceIdentity'.*less than or equal to 64/,
    ],
    ["a SourceIdentity with a colon", { SourceIdentity: "aws:me" }, /at 'sourceIdentity'.*pattern/],
    [
      "51 session tags",
      { Tags: Array.from({ length: 51 }, (_, i) => ({ Key: `k${i}`, Value: "v" })) },
      /at 'tags'.*50/,
    ],
    ["a 129-character tag key", { Tags: [{ Key: "k".repeat(129), Value: "v" }] }, /at 'tags.1.member.key'.*128/],
    ["a 257-character tag value", { Tags: [{ Key: "k", Value: "v".repeat(257) }] }, /at 'tags.1.member.value'.*256/],
    ["a tag value with a comma", { Tags: [{ Key: "k", Value: "a,b" }] }, /at 'tags.1.member.value'.*pattern/],
    ["DurationSeconds under 900", { DurationSeconds: 600 }, /between 900 and 43200/],
    [
      "2 h on a role left at IAM's default 1 h",
      { DurationSeconds: 7200 },
      /exceeds the MaxSessionDuration set for this role/,
    ],
  ])("refuses %s with 400 ValidationError", async (_sentence, input, message) => {
    expect(await refusal(assume(input))).toMatchObject({
      name: "ValidationError",
      status: 400,
      message: expect.stringMatching(message),
    });
  });

  it("caps a role session's AssumeRole (role chaining) at 1 hour whatever the role allows", async () => {
    fake.roleMaxSessionDuration.set(ROLE_ARN, 12 * 3600);
    await expect(assume({ DurationSeconds: 7200 })).resolves.toBeDefined();
    expect(await refusal(assume({ DurationSeconds: 7200 }, chained))).toEqual({
      name: "ValidationError",
      status: 400,
      message: "The requested DurationSeconds exceeds the 1 hour session limit for roles assumed by role chaining.",
    });
    fake.roleMaxSessionDuration.delete(ROLE_ARN);
  });
});

describe("fake IAM PutRolePolicy", () => {
  const put = (document: string, name = "p") =>
    iam.send(new PutRolePolicyCommand({ RoleName: "R", PolicyName: name, PolicyDocument: document }));
  const statement = (sid: string) => ({ Sid: sid, Effect: "Deny", Action: "*", Resource: "*" });

  it("counts every inline policy of the role, without whitespace, against 10,240 characters: 409 LimitExceeded", async () => {
    const padded = (n: number) =>
      JSON.stringify({ Version: "2012-10-17", Statement: [{ ...statement("A"), Resource: "x".repeat(n) }] });
    const overhead = padded(0).length;
    await put(padded(6000 - overhead), "first");
    await expect(put(`  ${padded(4240 - overhead)}  `, "second")).resolves.toBeDefined(); // exactly 10,240
    expect(await refusal(put(padded(4241 - overhead), "second"))).toEqual({
      name: "LimitExceededException",
      status: 409,
      message: "Maximum policy size of 10240 bytes exceeded for role R",
    });
  });

  it.each([
    ["a document that is not JSON", "{", "Syntax errors in policy."],
    ["a Sid with a dash", JSON.stringify({ Statement: [statement("Jit-bot")] }), /must be alpha-numeric/],
    ["two statements with one Sid", JSON.stringify({ Statement: [statement("A"), statement("A")] }), /must be unique/],
  ])("refuses %s with 400 MalformedPolicyDocument", async (_sentence, document, message) => {
    expect(await refusal(put(document, "third"))).toMatchObject({
      name: "MalformedPolicyDocumentException",
      status: 400,
      message: expect.stringMatching(message),
    });
  });
});

describe("fake EKS access entries", () => {
  const associate = (
    accessScope: { type: "cluster" | "namespace"; namespaces?: string[] },
    policyArn = "arn:aws:eks::aws:cluster-access-policy/AmazonEKSViewPolicy",
  ) =>
    eks.send(
      new AssociateAccessPolicyCommand({
        clusterName: "c1",
        principalArn: "arn:aws:iam::123456789012:role/a",
        policyArn,
        accessScope,
      }),
    );

  it.each([
    ["namespace scope without namespaces", { type: "namespace" as const }, undefined],
    ["cluster scope with namespaces", { type: "cluster" as const, namespaces: ["team-a"] }, undefined],
    [
      "a policy ARN that is not an EKS access policy",
      { type: "cluster" as const },
      "arn:aws:iam::aws:policy/ReadOnlyAccess",
    ],
  ])("refuses %s with 400 InvalidParameterException", async (_sentence, scope, policyArn) => {
    expect(await refusal(associate(scope, policyArn))).toMatchObject({
      name: "InvalidParameterException",
      status: 400,
    });
  });

  it("answers every access-entry call of a CONFIG_MAP cluster with 400 InvalidRequestException", async () => {
    fake.clusterAuthenticationMode.set("c1", "CONFIG_MAP");
    expect(await refusal(eks.send(new ListAccessEntriesCommand({ clusterName: "c1" })))).toEqual({
      name: "InvalidRequestException",
      status: 400,
      message:
        "The cluster's authentication mode must be set to one of [API, API_AND_CONFIG_MAP] to perform this operation.",
    });
    fake.clusterAuthenticationMode.set("c1", "API");
    await expect(eks.send(new ListAccessEntriesCommand({ clusterName: "c1" }))).resolves.toBeDefined();
  });
});
