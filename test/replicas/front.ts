import { createServer, request, type Server } from "node:http";
import type { AddressInfo } from "node:net";

export interface Front {
  url: string;
  /** Requests each backend port answered. */
  served: Map<number, number>;
  close(): Promise<void>;
}

/**
 * A round-robin front like a Kubernetes Service over ready pods: each request goes to the next
 * backend; one that refuses the connection (killed, not yet listening) is skipped, as the Service
 * drops a pod that failed readiness. A request a backend accepted and then lost (killed mid-answer)
 * fails with 502, as it would in production; Slack shows the person an error and they try again.
 */
export async function startFront(ports: readonly number[]): Promise<Front> {
  let next = 0;
  const served = new Map<number, number>(ports.map((port) => [port, 0]));
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (chunk: Buffer) => chunks.push(chunk));
    req.on("end", () => {
      const body = Buffer.concat(chunks);
      const attempt = (tries: number) => {
        const port = ports[next++ % ports.length] ?? 0;
        const upstream = request(
          { host: "127.0.0.1", port, method: req.method, path: req.url, headers: req.headers },
          (answer) => {
            served.set(port, (served.get(port) ?? 0) + 1);
            res.writeHead(answer.statusCode ?? 502, answer.headers);
            answer.pipe(res);
            answer.on("error", () => res.destroy());
          },
        );
        upstream.on("error", (error: NodeJS.ErrnoException) => {
          if (error.code === "ECONNREFUSED" && tries < ports.length * 20) {
            setTimeout(() => attempt(tries + 1), tries < ports.length ? 0 : 50);
            return;
          }
          if (!res.headersSent) res.writeHead(502).end("backend lost");
          else res.destroy();
        });
        upstream.end(body);
      };
      attempt(0);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    served,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}
