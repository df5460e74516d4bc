import { request } from "node:http";
import type { Playground } from "../../src/playground/server.js";
import type { Store } from "../../src/store/index.js";

export interface RawAnswer {
  status: number;
  contentType: string;
  body: string;
}

/**
 * One HTTP request exactly as given: `fetch` sets `Host` itself and adds headers of its own, and a
 * forged Host is the point of a DNS-rebinding test.
 */
export function rawRequest(
  port: number,
  path: string,
  options: { method?: string; headers?: Record<string, string>; body?: string } = {},
): Promise<RawAnswer> {
  return new Promise((resolve, reject) => {
    const req = request(
      { host: "127.0.0.1", port, path, method: options.method ?? "GET", headers: options.headers ?? {} },
      (res) => {
        const chunks: Buffer[] = [];
        res.on("data", (chunk: Buffer) => chunks.push(chunk));
        res.on("end", () =>
          resolve({
            status: res.statusCode ?? 0,
            contentType: String(res.headers["content-type"] ?? ""),
            body: Buffer.concat(chunks).toString("utf8"),
          }),
        );
      },
    );
    req.on("error", reject);
    req.end(options.body);
  });
}

/** What an attacker would post to approve a request: everything the page would send but the token. */
export interface ApproveClick {
  requestId: string;
  body: string;
}

/**
 * The approver's click on the pending request whose text contains `text`. The attacker is granted
 * every id it could need (channel, ts, block): only the token and the browser's headers stand in its way.
 */
export async function approveClick(
  playground: Playground,
  store: Store,
  text: string,
  approver: string,
): Promise<ApproveClick> {
  const pending = (await store.requests.listByStatus("pending")).find((r) => r.justification.includes(text));
  if (!pending) throw new Error(`no pending request containing ${text}`);
  const message = playground.slack.messages.find(
    (m) => m.channel === pending.approvalChannel && m.ts === pending.approvalTs && !m.ephemeralFor,
  );
  if (!message) throw new Error(`no approval message for ${pending.id}`);
  const blocks = message.blocks as { block_id?: string; elements?: { action_id?: string }[] }[];
  const index = blocks.findIndex((b) => b.elements?.some((e) => e.action_id === "jit_approve"));
  const body = JSON.stringify({
    user: approver,
    actionId: "jit_approve",
    blockId: blocks[index]?.block_id ?? `auto-${index}`,
    channel: message.channel,
    ts: message.ts,
  });
  return { requestId: pending.id, body };
}
