import { connect } from "node:net";

export interface RawAnswer {
  status: number;
  headers: Record<string, string>;
  body: string;
  /** Body bytes the client managed to write before the server answered and closed. */
  bytesSent: number;
}

/**
 * Sends bytes exactly as given over a TCP socket, so a test can say what no HTTP client would
 * (odd methods, lying lengths, endless chunked bodies). `body` is written piece by piece until the
 * server answers; resolves with the answer once the server ends the connection or the answer is
 * complete.
 */
export function rawRequest(baseUrl: string, head: string, body: Iterable<Buffer | string> = []): Promise<RawAnswer> {
  const { hostname, port } = new URL(baseUrl);
  return new Promise((resolve, reject) => {
    const socket = connect(Number(port), hostname);
    let received = Buffer.alloc(0);
    let bytesSent = 0;
    let answered = false;
    const finish = () => {
      const text = received.toString("latin1");
      const match = /^HTTP\/1\.1 (\d{3})[^\r\n]*\r\n([\s\S]*?)\r\n\r\n([\s\S]*)$/.exec(text);
      if (!match) return reject(new Error(`no HTTP answer: ${JSON.stringify(text.slice(0, 200))}`));
      const headers: Record<string, string> = {};
      for (const line of (match[2] ?? "").split("\r\n")) {
        const at = line.indexOf(":");
        headers[line.slice(0, at).toLowerCase()] = line.slice(at + 1).trim();
      }
      resolve({ status: Number(match[1]), headers, body: match[3] ?? "", bytesSent });
    };
    socket.on("data", (chunk: Buffer) => {
      received = Buffer.concat([received, chunk]);
      answered = true;
      const text = received.toString("latin1");
      const end = text.indexOf("\r\n\r\n");
      const length = /\r\ncontent-length: (\d+)/i.exec(text)?.[1];
      // A HEAD answer announces a length but carries no body.
      const bodyLength = head.startsWith("HEAD ") ? 0 : Number(length);
      const complete = length !== undefined ? received.length >= end + 4 + bodyLength : text.endsWith("\r\n0\r\n\r\n");
      if (end >= 0 && complete) {
        socket.destroy();
        finish();
      }
    });
    // The server may close while the body is still being written: that is the point of some tests.
    socket.on("error", () => socket.destroy());
    socket.on("close", () => (answered ? finish() : reject(new Error("closed without an answer"))));
    // floating-promises: nothing in here rejects (a failed write surfaces as the socket's "error").
    socket.on("connect", async () => {
      socket.write(head);
      for (const piece of body) {
        if (answered || socket.destroyed) break;
        const ok = socket.write(piece);
        bytesSent += Buffer.byteLength(piece);
        if (!ok) await new Promise((r) => socket.once("drain", r).once("close", r));
      }
    });
  });
}

/** A body of `total` bytes in pieces of `piece` bytes, each wrapped as an HTTP/1.1 chunk when `chunked`. */
export function* bodyPieces(total: number, piece: number, chunked: boolean): Generator<Buffer | string> {
  const block = Buffer.alloc(piece, "a");
  for (let sent = 0; sent < total; sent += piece) {
    yield chunked ? Buffer.concat([Buffer.from(`${piece.toString(16)}\r\n`), block, Buffer.from("\r\n")]) : block;
  }
  if (chunked) yield "0\r\n\r\n";
}
