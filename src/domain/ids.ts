import { randomBytes } from "node:crypto";

// No 0/O/1/I/L: ids are read aloud and typed into `/jit cancel <id>`.
const ALPHABET = "23456789ABCDEFGHJKMNPQRSTUVWXYZ";

/** A short request id such as `JR-7K3Q9M`. 31^6 ≈ 887M values; the store rejects a collision. */
export function newRequestId(): string {
  const bytes = randomBytes(6);
  let id = "";
  for (const byte of bytes) id += ALPHABET[byte % ALPHABET.length];
  return `JR-${id}`;
}

export function normaliseRequestId(text: string): string {
  const trimmed = text.trim().toUpperCase();
  return trimmed.startsWith("JR-") ? trimmed : `JR-${trimmed}`;
}

const REQUEST_ID = new RegExp(`^JR-[${ALPHABET}]{6}$`);

/** A request id as newRequestId makes them: anything else names no request, and is not looked up. */
export function isRequestId(text: string): boolean {
  return REQUEST_ID.test(text);
}
