import type { FakeUser } from "../../src/playground/slack-web-api.js";

/** Who is in the bench's Slack, shared by the bot side and the Slack side (no other imports). */
export const SIGNING_SECRET = "bench-signing-secret-0123456789abcdef";
export const PROFILE = "aks-prod-sre";
export const APPROVER = "U0LEAD";

/** An approver and `requesters` people in the SRE user group, each with an email. */
export function benchPeople(requesters = 50): FakeUser[] {
  const people: FakeUser[] = [{ id: APPROVER, name: "Lee Lead", email: "lee@contoso.com", groups: ["S0ONCALL"] }];
  for (let i = 0; i < requesters; i++) {
    const id = requesterId(i);
    people.push({ id, name: `Requester ${i}`, email: `${id.toLowerCase()}@contoso.com`, groups: ["S0SRE"] });
  }
  return people;
}

export function requesterId(i: number): string {
  return `U0REQ${String(i).padStart(4, "0")}`;
}
