/** Why the store refused to open; the message is the one sentence the operator reads. */
export class StoreRefusal extends Error {
  constructor(
    readonly code:
      | "STORE_IN_USE"
      | "AUDIT_KEY_MISSING"
      | "AUDIT_KEY_MISMATCH"
      | "DATABASE_UNREACHABLE"
      | "DATABASE_SIGN_IN_REFUSED"
      | "DATABASE_PERMISSION"
      | "DATABASE_URL_INVALID",
    message: string,
  ) {
    super(message);
    this.name = "StoreRefusal";
  }
}

export class NoDatabaseError extends Error {
  readonly code = "NO_DATABASE";
  constructor(
    readonly file: string,
    message = `there is no database at ${file} (set JITBOT_DB to the bot's database file)`,
  ) {
    super(message);
    this.name = "NoDatabaseError";
  }
}
