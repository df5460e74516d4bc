import { createHash } from "node:crypto";
import { EventEmitter } from "node:events";
import { createServer, type Server } from "node:http";
import type { AddressInfo, Socket } from "node:net";

/**
 * Slack's Socket Mode end, over a real WebSocket (RFC 6455 handshake and framing, text frames
 * only): says `hello`, sends envelopes, and hands back the app's acks by envelope id.
 */
export class FakeSocketModeServer extends EventEmitter {
  private readonly server: Server = createServer();
  private socket: Socket | undefined;
  private buffer = Buffer.alloc(0);
  readonly acks = new Map<string, Record<string, unknown>>();

  async listen(): Promise<string> {
    this.server.on("upgrade", (req, socket) => {
      const key = String(req.headers["sec-websocket-key"] ?? "");
      const accept = createHash("sha1").update(`${key}258EAFA5-E914-47DA-95CA-C5AB0DC85B11`).digest("base64");
      socket.write(
        `HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: ${accept}\r\n\r\n`,
      );
      this.socket = socket as Socket;
      socket.on("data", (chunk: Buffer) => this.receive(chunk));
      socket.on("error", () => undefined);
      this.sendJson({ type: "hello", num_connections: 1, connection_info: { app_id: "A0JITBOT" } });
      this.emit("connected");
    });
    await new Promise<void>((resolve) => this.server.listen(0, "127.0.0.1", resolve));
    return `ws://127.0.0.1:${(this.server.address() as AddressInfo).port}/link`;
  }

  /**
   * Sends one envelope as Slack does and resolves with the app's ack payload. `redelivery` sends an
   * envelope again under the id it had: Slack re-sends an envelope whose ack it did not get
   * (https://api.slack.com/apis/connections/socket-implement, "Acknowledge events"); an Events API
   * retry comes with `retry_attempt` and `retry_reason`, as over HTTP.
   */
  async deliver(
    type: string,
    payload: Record<string, unknown>,
    redelivery: { envelopeId?: string; retryAttempt?: number } = {},
  ): Promise<Record<string, unknown>> {
    const envelopeId = redelivery.envelopeId ?? `env-${Math.random().toString(36).slice(2)}`;
    const acked = new Promise<Record<string, unknown>>((resolve) => {
      const listener = (id: string, body: Record<string, unknown>) => {
        if (id !== envelopeId) return;
        this.off("ack", listener);
        resolve(body);
      };
      this.on("ack", listener);
    });
    const retry =
      redelivery.retryAttempt === undefined ? {} : { retry_attempt: redelivery.retryAttempt, retry_reason: "timeout" };
    this.sendJson({
      envelope_id: envelopeId,
      type,
      payload,
      accepts_response_payload: type !== "events_api",
      ...retry,
    });
    return acked;
  }

  sendJson(message: unknown): void {
    const data = Buffer.from(JSON.stringify(message));
    const header =
      data.length < 126
        ? Buffer.from([0x81, data.length])
        : Buffer.from([0x81, 126, data.length >> 8, data.length & 0xff]);
    this.socket?.write(Buffer.concat([header, data]));
  }

  /** Client frames are masked; handles text (1), close (8) and ping (9). */
  private receive(chunk: Buffer): void {
    this.buffer = Buffer.concat([this.buffer, chunk]);
    for (;;) {
      if (this.buffer.length < 2) return;
      const opcode = (this.buffer[0] ?? 0) & 0x0f;
      let length = (this.buffer[1] ?? 0) & 0x7f;
      let offset = 2;
      if (length === 126) {
        if (this.buffer.length < 4) return;
        length = this.buffer.readUInt16BE(2);
        offset = 4;
      } else if (length === 127) {
        if (this.buffer.length < 10) return;
        length = Number(this.buffer.readBigUInt64BE(2));
        offset = 10;
      }
      if (this.buffer.length < offset + 4 + length) return;
      const mask = this.buffer.subarray(offset, offset + 4);
      const data = Buffer.from(this.buffer.subarray(offset + 4, offset + 4 + length));
      for (let i = 0; i < data.length; i++) data[i] = (data[i] ?? 0) ^ (mask[i % 4] ?? 0);
      this.buffer = this.buffer.subarray(offset + 4 + length);
      if (opcode === 1) {
        const message = JSON.parse(data.toString("utf8")) as { envelope_id: string; payload?: Record<string, unknown> };
        this.acks.set(message.envelope_id, message.payload ?? {});
        this.emit("ack", message.envelope_id, message.payload ?? {});
      } else if (opcode === 9) {
        this.socket?.write(Buffer.concat([Buffer.from([0x8a, data.length]), data]));
      } else if (opcode === 8) {
        this.socket?.end();
      }
    }
  }

  async close(): Promise<void> {
    this.socket?.destroy();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }
}
