import type { Pending } from "./pending.js";
import { requesterId } from "./people.js";
import type { RemoteBot } from "./remote-bot.js";
import type { BenchSlackClient } from "./slack-client.js";

export type Kind = "help" | "list" | "request" | "approve";
export const KINDS: Kind[] = ["help", "list", "request", "approve"];

export interface Phase {
  kinds: Kind[];
  concurrency: number;
  total: number;
}

/** Approve clicks a phase sends (a quarter of the mix): that many requests are filed first. */
export const approvalsIn = (p: Phase) => (p.kinds.includes("approve") ? Math.ceil(p.total / p.kinds.length) : 0);

export interface PhaseResult {
  all: number[];
  byKind: Map<Kind, number[]>;
  perSecond: number;
  /** CPU time of every bot process together, per answered request. */
  cpuMsPerRequest: number;
  /** The worst bot's event-loop blocking during the phase. */
  loopDelay: { p99: number; max: number };
}

/**
 * Sends the mix to the bot processes, request i to bot i mod n (one replica: all to it; three: the
 * round-robin front of an HTTP-mode Deployment), `concurrency` in flight, timed from send to HTTP 200.
 * Approve clicks take the next filed request, whichever replica filed it.
 */
export class AckLoad {
  errors = 0;
  /** What the failures were ("bot answered HTTP 500", "socket hang up"…), counted. */
  readonly errorKinds: Record<string, number> = {};
  private nextApproval = 0;

  constructor(
    private readonly bots: RemoteBot[],
    private readonly clients: BenchSlackClient[],
    private readonly pending: Pending[],
  ) {}

  private send(kind: Kind, i: number): Promise<number> {
    const client = this.clients[i % this.clients.length] as BenchSlackClient;
    const user = requesterId(i % 50);
    if (kind === "help") return client.command(user, "help");
    if (kind === "list") return client.command(user, "list");
    if (kind === "request") return client.command(user, "request aks-prod-sre 2h fixing the ingress controller");
    const approval = this.pending[this.nextApproval++];
    return approval ? client.approve(approval.id, approval.channel, approval.ts) : client.command(user, "help");
  }

  async run(phase: Phase): Promise<PhaseResult> {
    const byKind = new Map<Kind, number[]>(phase.kinds.map((k) => [k, []]));
    const all: number[] = [];
    let next = 0;
    const worker = async () => {
      while (next < phase.total) {
        const i = next++;
        const kind = phase.kinds[i % phase.kinds.length] as Kind;
        try {
          const ms = await this.send(kind, i);
          all.push(ms);
          byKind.get(kind)?.push(ms);
        } catch (error) {
          this.errors++;
          const kind = error instanceof Error ? error.message : String(error);
          this.errorKinds[kind] = (this.errorKinds[kind] ?? 0) + 1;
        }
      }
    };
    await Promise.all(this.bots.map((b) => b.resetLoopDelay()));
    const before = await Promise.all(this.bots.map((b) => b.stats()));
    const t0 = performance.now();
    await Promise.all(Array.from({ length: phase.concurrency }, worker));
    const seconds = (performance.now() - t0) / 1000;
    const after = await Promise.all(this.bots.map((b) => b.stats()));
    await Promise.all(this.bots.map((b) => b.idle()));
    const cpuMs = after.reduce((sum, s, i) => sum + s.cpuMs - (before[i]?.cpuMs ?? s.cpuMs), 0);
    return {
      all,
      byKind,
      perSecond: Math.round(all.length / seconds),
      cpuMsPerRequest: cpuMs / Math.max(1, all.length),
      loopDelay: {
        p99: Math.max(...after.map((s) => s.loopDelayP99Ms)),
        max: Math.max(...after.map((s) => s.loopDelayMaxMs)),
      },
    };
  }
}
