/** Why the store refused to open; the message is the one sentence the operator reads. */
export class StoreRefusal extends Error {
  constructor(
    readonly code: "STORE_IN_USE" | "AUDIT_KEY_MISSING" | "AUDIT_KEY_MISMATCH",
    message: string,
  ) {
    super(message);
    this.name = "StoreRefusal";
  }
}
