import type { Policy } from "../../src/config/schema.js";
import { SimulatedCrash } from "../../src/grants/engine.js";
import { clockAt, type FakeProvider, registryWith, sharedDbFile } from "../expiry/support.js";
import { startTestBot, type TestBot } from "../support/bot.js";

/**
 * Processes of the bot, one after the other, on a database file that outlives each (a Pod on its
 * PVC). `kill` is a SIGKILL: whatever the process was awaiting never comes back.
 */
export function lifetimes(fake: FakeProvider, policy?: Policy) {
  const open: TestBot[] = [];
  const db = sharedDbFile();
  const clock = clockAt();
  return {
    clock,
    async start(crash?: "grant" | "revoke"): Promise<TestBot> {
      const t = await startTestBot({
        clock,
        policy,
        location: db.file,
        providers: registryWith(fake),
        engine: crash
          ? {
              crashAfterProviderCall: (verb) => {
                if (verb === crash) throw new SimulatedCrash(`killed after the provider ${verb}`);
              },
            }
          : undefined,
      });
      open.push(t);
      // Bolt starts its auth.test when the app is built and leaves the promise unhandled if it
      // fails; a bot closed before Slack answered it would report that. One command waits for it.
      await t.driver.command("U0OMAR", "help");
      return t;
    },
    async kill(t: TestBot): Promise<void> {
      open.splice(open.indexOf(t), 1);
      await t.close();
    },
    async closeAll(): Promise<void> {
      for (const t of open.splice(0)) await t.close();
      db.cleanup();
    },
  };
}

/** Everything Slack showed `userId` in their DM that mentions `text`. */
export function dmsMentioning(t: TestBot, userId: string, text: string) {
  return t.slack.dmsOf(userId).filter((m) => m.text.includes(text));
}

export async function auditRows(t: TestBot, requestId: string): Promise<{ action: string; actor: string }[]> {
  await t.store.linkAudits(); // what other writes committed and are still linking (PostgreSQL)
  return t.store.kysely
    .selectFrom("audit_events")
    .select(["action", "actor"])
    .where("request_id", "=", requestId)
    .orderBy("seq")
    .execute();
}
