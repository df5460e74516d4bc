import pg from "pg";
import { describe, expect, it } from "vitest";
import { tempDir } from "../../test/support/temp.js";
import { StoreRefusal } from "./errors.js";
import { Store } from "./index.js";
import { changeChannel, isPostgresUrl, postgresTarget } from "./postgres.js";

describe("choosing the engine from the location", () => {
  it.each([
    ["postgres://jitbot@db:5432/jitbot", true],
    ["postgresql://jitbot@db/jitbot?sslmode=require", true],
    ["./data/jitbot.db", false],
    ["/var/lib/jitbot/postgres.db", false],
    [":memory:", false],
  ])("%s is PostgreSQL: %s", (location, postgres) => {
    expect(isPostgresUrl(location)).toBe(postgres);
  });

  it("refuses another database's URL instead of taking it for a file name", async () => {
    const tmp = tempDir();
    const refusal = await Store.open("mysql://root@db/jitbot").catch((error: unknown) => error);
    tmp.cleanup();
    expect(refusal).toBeInstanceOf(StoreRefusal);
    expect((refusal as StoreRefusal).message).toBe(
      "the database URL must start with postgres:// or postgresql:// (got mysql://…)",
    );
  });
});

describe("a PostgreSQL URL", () => {
  it("chooses the schema with ?schema=, which pg never sees; public without it", () => {
    const target = postgresTarget(
      "postgres://jitbot:s3cret@db.example.com:6432/ops?schema=jitbot_prod&sslmode=disable",
    );
    expect(target.schema).toBe("jitbot_prod");
    expect(target.config).toMatchObject({ host: "db.example.com", port: 6432, database: "ops", user: "jitbot" });
    expect(JSON.stringify(target.config)).not.toContain("jitbot_prod");
    expect(target.redacted).not.toContain("s3cret");
    expect(postgresTarget("postgres://jitbot@db/ops").schema).toBe("public");
  });

  it.each([
    ["Prod", "upper-case"],
    ["a-b", "a dash"],
    ['x"; DROP SCHEMA public; --', "quoting"],
  ])("refuses the schema %j (%s) in one sentence", (schema, _why) => {
    const url = `postgres://jitbot@db/ops?schema=${encodeURIComponent(schema)}`;
    expect(() => postgresTarget(url)).toThrow(
      /^the schema .* in JITBOT_DATABASE_URL must be lower-case letters, digits and _$/,
    );
  });

  it("asks the password callback (a cloud token) over the URL's empty password", async () => {
    const token = async () => "entra-token";
    expect(postgresTarget("postgres://jitbot@db/ops", { password: token }).config.password).toBe(token);
  });

  it("reads int8 as a number on its own pool only, leaving pg's global parsers alone", () => {
    const target = postgresTarget("postgres://jitbot@db/ops");
    const types = target.config.types as pg.CustomTypesConfig;
    expect(types.getTypeParser(pg.types.builtins.INT8, "text")("1767600000000")).toBe(1767600000000);
    expect(pg.types.getTypeParser(pg.types.builtins.INT8, "text")("42")).toBe("42");
  });

  it("gives each schema its own change channel, a valid identifier", () => {
    expect(changeChannel("a")).not.toBe(changeChannel("b"));
    expect(changeChannel("x".repeat(63))).toMatch(/^jitbot_[0-9a-f]{24}$/);
  });
});
