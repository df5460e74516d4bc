import { createHash, createHmac } from "node:crypto";
import type { AccessToken, TokenCredential } from "@azure/identity";
import type { AwsCredentialIdentity } from "@smithy/types";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  type IdentityEndpoint,
  OTHER_AZURE_CREDENTIAL_VARS,
  startIdentityEndpoint,
} from "../../test/fakes/identity-endpoint.js";
import { ManualClock } from "../domain/clock.js";
import {
  AZURE_POSTGRES_SCOPE,
  DatabaseAuthError,
  type DatabaseAuthOptions,
  databasePassword,
  regionOfRdsHost,
} from "./pg-auth.js";

const RDS_HOST = "jitbot.c1a2b3c4d5e6.us-west-2.rds.amazonaws.com";
const AZURE_HOST = "jitbot-pg.postgres.database.azure.com";
const MINUTE = 60_000;

function passwordFor(env: NodeJS.ProcessEnv, options: DatabaseAuthOptions = {}): () => Promise<string> {
  const password = databasePassword(env, options);
  if (!password) throw new Error("expected a password function");
  return password;
}

function refusal(run: () => unknown): DatabaseAuthError {
  try {
    run();
  } catch (error) {
    if (error instanceof DatabaseAuthError) return error;
    throw error;
  }
  throw new Error("expected a DatabaseAuthError");
}

describe("JITBOT_DATABASE_AUTH settings", () => {
  it.each([
    ["unset: pg uses the URL's password", {}],
    ["password: the same", { JITBOT_DATABASE_AUTH: "password" }],
    ["blank counts as unset", { JITBOT_DATABASE_AUTH: "  " }],
  ])("%s", (_, env) => {
    expect(databasePassword({ JITBOT_DATABASE_URL: "postgres://jitbot:pw@db:5432/jitbot", ...env })).toBeUndefined();
  });

  it.each([
    [
      "an unknown mode names the three that exist",
      { JITBOT_DATABASE_AUTH: "kerberos" },
      /"kerberos"; use one of password, azure-entra, aws-iam/,
    ],
    [
      "a token mode without a URL asks for one",
      { JITBOT_DATABASE_AUTH: "azure-entra" },
      /needs JITBOT_DATABASE_URL=postgres:\/\//,
    ],
    [
      "a password in the URL would override the token in pg, so it is refused",
      { JITBOT_DATABASE_AUTH: "azure-entra", JITBOT_DATABASE_URL: `postgres://jitbot:secret@${AZURE_HOST}/jitbot` },
      /remove the password from JITBOT_DATABASE_URL/,
    ],
    [
      "the token is for one role, so the URL must name it",
      {
        JITBOT_DATABASE_AUTH: "aws-iam",
        JITBOT_DATABASE_URL: `postgres://${RDS_HOST}/jitbot`,
        AWS_REGION: "us-west-2",
      },
      /needs the database user and host/,
    ],
    [
      "aws-iam on a host that names no region needs AWS_REGION",
      { JITBOT_DATABASE_AUTH: "aws-iam", JITBOT_DATABASE_URL: "postgres://jitbot@db.internal:5432/jitbot" },
      /set AWS_REGION/,
    ],
  ])("%s", (_, env, message) => {
    const error = refusal(() => databasePassword(env, { azureCredential: fakeEntra().credential }));
    expect(error.code).toBe("DATABASE_AUTH_INVALID");
    expect(error.message).toMatch(message);
    expect(error.message).not.toContain("secret");
  });

  it.each([
    [RDS_HOST, "us-west-2"],
    ["x.cluster-ro-abc.eu-central-1.rds.amazonaws.com", "eu-central-1"],
    ["x.abc.cn-north-1.rds.amazonaws.com.cn", "cn-north-1"],
    ["x.abc.us-gov-west-1.rds.amazonaws.com", "us-gov-west-1"],
    ["db.internal", undefined],
    ["rds.amazonaws.com.evil.example", undefined],
  ])("the region of %s is %s", (host, region) => {
    expect(regionOfRdsHost(host)).toBe(region);
  });
});

/** A credential that counts its calls and hands out numbered tokens ending `lifetimeMs` from the clock. */
function fakeEntra(clock = new ManualClock(), lifetimeMs = 60 * MINUTE) {
  const calls: string[][] = [];
  let failWith: Error | undefined;
  const credential: TokenCredential = {
    async getToken(scopes): Promise<AccessToken | null> {
      calls.push([scopes].flat());
      if (failWith) throw failWith;
      return { token: `entra-token-${calls.length}`, expiresOnTimestamp: clock.now().getTime() + lifetimeMs };
    },
  };
  return {
    credential,
    calls,
    fail(error: Error | undefined) {
      failWith = error;
    },
  };
}

describe("azure-entra: a Microsoft Entra token for Azure Database for PostgreSQL", () => {
  const env = {
    JITBOT_DATABASE_AUTH: "azure-entra",
    JITBOT_DATABASE_URL: `postgres://jitbot-mi@${AZURE_HOST}:5432/jitbot`,
  };

  it("asks for the database's scope and answers the token", async () => {
    const clock = new ManualClock();
    const entra = fakeEntra(clock);
    const password = passwordFor(env, { clock, azureCredential: entra.credential });
    expect(await password()).toBe("entra-token-1");
    expect(entra.calls).toEqual([["https://ossrdbms-aad.database.windows.net/.default"]]);
    expect(AZURE_POSTGRES_SCOPE).toBe("https://ossrdbms-aad.database.windows.net/.default");
  });

  it("keeps the token until five minutes before it ends, then gets a new one", async () => {
    const clock = new ManualClock();
    const entra = fakeEntra(clock, 60 * MINUTE);
    const password = passwordFor(env, { clock, azureCredential: entra.credential });
    expect(await password()).toBe("entra-token-1");
    await clock.advance(54 * MINUTE);
    expect(await password()).toBe("entra-token-1");
    await clock.advance(1 * MINUTE + 1);
    expect(await password()).toBe("entra-token-2");
    expect(entra.calls).toHaveLength(2);
  });

  it("a burst of new connections shares one token request", async () => {
    const clock = new ManualClock();
    const entra = fakeEntra(clock);
    const password = passwordFor(env, { clock, azureCredential: entra.credential });
    const tokens = await Promise.all(Array.from({ length: 10 }, () => password()));
    expect(new Set(tokens)).toEqual(new Set(["entra-token-1"]));
    expect(entra.calls).toHaveLength(1);
  });

  it("a failure is one sentence with the cause, is not cached, and the next connection tries again", async () => {
    const clock = new ManualClock();
    const entra = fakeEntra(clock);
    const password = passwordFor(env, { clock, azureCredential: entra.credential });
    entra.fail(new Error("ManagedIdentityCredential: no identity endpoint\n  at stack line"));
    const error = await password().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(DatabaseAuthError);
    expect(error).toMatchObject({
      code: "DATABASE_TOKEN_FAILED",
      message:
        "jitbot could not get a Microsoft Entra token to sign in to the database: ManagedIdentityCredential: no identity endpoint",
    });
    entra.fail(undefined);
    expect(await password()).toBe("entra-token-2");
  });

  it("while Entra is down, a token with more than a minute left still opens connections", async () => {
    const clock = new ManualClock();
    const entra = fakeEntra(clock, 60 * MINUTE);
    const password = passwordFor(env, { clock, azureCredential: entra.credential });
    await password();
    entra.fail(new Error("AADSTS50000: service unavailable"));
    await clock.advance(57 * MINUTE);
    expect(await password()).toBe("entra-token-1");
    await clock.advance(2 * MINUTE + 1);
    await expect(password()).rejects.toMatchObject({ code: "DATABASE_TOKEN_FAILED" });
  });

  it("a credential that answers no token is a failure, not an empty password", async () => {
    const credential: TokenCredential = { getToken: async () => null };
    const password = passwordFor(env, { azureCredential: credential });
    await expect(password()).rejects.toMatchObject({ code: "DATABASE_TOKEN_FAILED", message: /returned none/ });
  });
});

describe("azure-entra with the real DefaultAzureCredential", () => {
  // DefaultAzureCredential reads process.env itself; this file runs in its own worker process.
  let identity: IdentityEndpoint;
  const saved = { ...process.env };
  beforeAll(async () => {
    identity = await startIdentityEndpoint();
    for (const name of OTHER_AZURE_CREDENTIAL_VARS) delete process.env[name];
    Object.assign(process.env, identity.env());
  });
  afterAll(async () => {
    process.env = saved;
    await identity.close();
  });

  it("asks the managed-identity endpoint for the Azure Database for PostgreSQL resource", async () => {
    const env = {
      JITBOT_DATABASE_AUTH: "azure-entra",
      JITBOT_DATABASE_URL: `postgres://jitbot-mi@${AZURE_HOST}/jitbot`,
    };
    const token = await passwordFor(env)();
    expect(token).toMatch(/^fake-graph-token-\d+$/);
    expect(identity.requests.map((r) => r.resource)).toEqual(["https://ossrdbms-aad.database.windows.net"]);
  });
});

const KEYS = { accessKeyId: "AKIDEXAMPLE", secretAccessKey: "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY" };

function fakeAws(session?: { token: string; expiration?: Date }) {
  let calls = 0;
  const provider = async (): Promise<AwsCredentialIdentity> => {
    calls += 1;
    return {
      ...KEYS,
      ...(session ? { sessionToken: `${session.token}-${calls}`, expiration: session.expiration } : {}),
    };
  };
  return { provider, calls: () => calls };
}

/**
 * The signature computed here from the SigV4 steps of "Create a signed AWS API request"
 * (docs.aws.amazon.com/IAM/latest/UserGuide/create-signed-request.html), independently of the signer:
 * canonical request, string to sign, then the key derived from the secret, date, region and service.
 */
function expectedSignature(token: string, secret: string, region: string): string {
  const [hostPort, queryText] = token.split("/?") as [string, string];
  const params = queryText
    .split("&")
    .map((pair) => pair.split("=") as [string, string])
    .filter(([key]) => key !== "X-Amz-Signature")
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  const amzDate = decodeURIComponent(params.find(([key]) => key === "X-Amz-Date")?.[1] ?? "");
  const day = amzDate.slice(0, 8);
  const canonicalRequest = [
    "GET",
    "/",
    params.map(([k, v]) => `${k}=${v}`).join("&"),
    `host:${hostPort}\n`,
    "host",
    createHash("sha256").update("").digest("hex"),
  ].join("\n");
  const scope = `${day}/${region}/rds-db/aws4_request`;
  const stringToSign = [
    "AWS4-HMAC-SHA256",
    amzDate,
    scope,
    createHash("sha256").update(canonicalRequest).digest("hex"),
  ].join("\n");
  let key: Buffer = createHmac("sha256", `AWS4${secret}`).update(day).digest();
  for (const part of [region, "rds-db", "aws4_request"]) key = createHmac("sha256", key).update(part).digest();
  return createHmac("sha256", key).update(stringToSign).digest("hex");
}

function queryOf(token: string): URLSearchParams {
  return new URLSearchParams(token.split("?")[1]);
}

describe("aws-iam: an RDS IAM authentication token", () => {
  const env = {
    JITBOT_DATABASE_AUTH: "aws-iam",
    JITBOT_DATABASE_URL: `postgres://jitbot@${RDS_HOST}:5432/jitbot?sslmode=verify-full`,
  };

  it("is the presigned connect URL without its scheme, for rds-db in the host's region, valid 900 s", async () => {
    const clock = new ManualClock("2026-01-05T09:00:00Z");
    const password = passwordFor(env, { clock, awsCredentials: fakeAws().provider });
    const token = await password();
    expect(token.startsWith(`${RDS_HOST}:5432/?`)).toBe(true);
    expect(token).not.toMatch(/^https?:/);
    const query = queryOf(token);
    expect(Object.fromEntries(query)).toEqual({
      Action: "connect",
      DBUser: "jitbot",
      "X-Amz-Algorithm": "AWS4-HMAC-SHA256",
      "X-Amz-Credential": "AKIDEXAMPLE/20260105/us-west-2/rds-db/aws4_request",
      "X-Amz-Date": "20260105T090000Z",
      "X-Amz-Expires": "900",
      "X-Amz-SignedHeaders": "host",
      "X-Amz-Signature": expect.stringMatching(/^[0-9a-f]{64}$/),
    });
    expect(query.get("X-Amz-Signature")).toBe(expectedSignature(token, KEYS.secretAccessKey, "us-west-2"));
    expect(token).not.toContain(KEYS.secretAccessKey);
  });

  it("carries the session token of IRSA / Pod Identity credentials, signed, and AWS_REGION wins over the host", async () => {
    const clock = new ManualClock("2026-01-05T09:00:00Z");
    const aws = fakeAws({ token: "FwoGZXIvYXdzEJr//+session=token" });
    const password = passwordFor({ ...env, AWS_REGION: "us-east-2" }, { clock, awsCredentials: aws.provider });
    const token = await password();
    expect(queryOf(token).get("X-Amz-Security-Token")).toBe("FwoGZXIvYXdzEJr//+session=token-1");
    expect(token).toContain("X-Amz-Security-Token=FwoGZXIvYXdzEJr%2F%2F%2Bsession%3Dtoken-1");
    expect(queryOf(token).get("X-Amz-Credential")).toContain("/us-east-2/rds-db/");
    expect(queryOf(token).get("X-Amz-Signature")).toBe(expectedSignature(token, KEYS.secretAccessKey, "us-east-2"));
  });

  it("encodes a user name and keeps a non-default port in the token and the signed host", async () => {
    const clock = new ManualClock("2026-01-05T09:00:00Z");
    const custom = { ...env, JITBOT_DATABASE_URL: `postgres://jit%2Bbot@${RDS_HOST}:6543/jitbot` };
    const token = await passwordFor(custom, { clock, awsCredentials: fakeAws().provider })();
    expect(token.startsWith(`${RDS_HOST}:6543/?Action=connect&DBUser=jit%2Bbot&`)).toBe(true);
    expect(queryOf(token).get("X-Amz-Signature")).toBe(expectedSignature(token, KEYS.secretAccessKey, "us-west-2"));
  });

  it("is reused for ten minutes, then signed anew (a 15-minute token, refreshed five minutes early)", async () => {
    const clock = new ManualClock("2026-01-05T09:00:00Z");
    const aws = fakeAws();
    const password = passwordFor(env, { clock, awsCredentials: aws.provider });
    const first = await password();
    await clock.advance(10 * MINUTE - 1);
    expect(await password()).toBe(first);
    await clock.advance(1);
    const second = await password();
    expect(second).not.toBe(first);
    expect(queryOf(second).get("X-Amz-Date")).toBe("20260105T091000Z");
    expect(aws.calls()).toBe(2);
  });

  it("ends with the credentials it was signed with: keys expiring sooner make it refresh sooner", async () => {
    const clock = new ManualClock("2026-01-05T09:00:00Z");
    const aws = fakeAws({ token: "session", expiration: new Date("2026-01-05T09:07:00Z") });
    const password = passwordFor(env, { clock, awsCredentials: aws.provider });
    const first = await password();
    await clock.advance(1 * MINUTE);
    expect(await password()).toBe(first);
    await clock.advance(1 * MINUTE + 1);
    expect(await password()).not.toBe(first);
    expect(aws.calls()).toBe(2);
  });

  it("a credential chain that fails gives one sentence and no secret", async () => {
    const failing = async (): Promise<AwsCredentialIdentity> => {
      throw new Error("Could not load credentials from any providers");
    };
    const password = passwordFor(env, { awsCredentials: failing });
    await expect(password()).rejects.toMatchObject({
      code: "DATABASE_TOKEN_FAILED",
      message:
        "jitbot could not get AWS credentials for the RDS token to sign in to the database: Could not load credentials from any providers",
    });
  });
});
