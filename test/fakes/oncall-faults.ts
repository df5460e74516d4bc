/**
 * What the PagerDuty and Opsgenie fakes share: the faults a test queues for the next requests,
 * hanging (requests read and never answered, as from a service that stalls), and listening on and
 * closing a loopback server. The faults themselves, and how each service answers them, stay in
 * each fake: only the real service's documentation says what its 401 or 429 looks like.
 */
import type { Server, ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";

export class FaultScript<Fault> {
  private readonly faults: Fault[] = [];
  private readonly held: ServerResponse[] = [];
  private hanging = false;

  /** The next `times` requests each meet `fault`, in the order queued. */
  queue(times: number, fault: Fault): void {
    for (let i = 0; i < times; i++) this.faults.push(fault);
  }

  next(): Fault | undefined {
    return this.faults.shift();
  }

  /** While hanging, keeps `res` unanswered and says so; the caller must then not answer it. */
  hold(res: ServerResponse): boolean {
    if (this.hanging) this.held.push(res);
    return this.hanging;
  }

  hang(): void {
    this.hanging = true;
  }

  /** Stops hanging; the requests held so far are dropped, as a stalled service's connections are. */
  answer(): void {
    this.hanging = false;
    this.dropHeld();
  }

  dropHeld(): void {
    for (const res of this.held.splice(0)) res.destroy();
  }
}

/** Listens on an ephemeral loopback port and returns the server's base URL. */
export async function listenOnLoopback(server: Server): Promise<string> {
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

/** Closes the server without waiting for held requests or idle keep-alive connections. */
export async function closeFake(server: Server, script: FaultScript<unknown>): Promise<void> {
  script.dropHeld();
  server.closeAllConnections();
  await new Promise<void>((resolve) => server.close(() => resolve()));
}
