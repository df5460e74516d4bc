import { existsSync, readFileSync } from "node:fs";
import type { IncomingMessage, ServerResponse } from "node:http";
import { fileURLToPath } from "node:url";
import { ZodError, type z } from "zod";
import {
  actionInput,
  commandInput,
  type PlaygroundApi,
  PlaygroundError,
  submitInput,
  userInput,
  viewInput,
} from "./api.js";
import type { PlaygroundGuard, Refusal } from "./guard.js";
import type { Workspace } from "./workspace.js";

const CONTENT_TYPES: Record<string, string> = {
  html: "text/html; charset=utf-8",
  js: "text/javascript; charset=utf-8",
  css: "text/css; charset=utf-8",
};

/** The page runs only its own files: no inline script, no third-party origin. */
const SECURITY_HEADERS = {
  "content-security-policy":
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; frame-ancestors 'none'",
  "x-content-type-options": "nosniff",
  "cache-control": "no-store",
  "referrer-policy": "no-referrer",
};

/** Where the served page carries its token (index.html has this placeholder in a meta tag). */
const TOKEN_PLACEHOLDER = "__PLAYGROUND_TOKEN__";

/**
 * The page's files live in src/playground/public. `tsc` copies no .html, so from dist/ the folder is
 * found next to the compiled module (if the image copies it there) or back in src/.
 */
export function publicDir(): string {
  const candidates = [new URL("./public/", import.meta.url), new URL("../../src/playground/public/", import.meta.url)];
  const found = candidates.map((u) => fileURLToPath(u)).find((dir) => existsSync(`${dir}index.html`));
  if (!found) throw new Error("the playground page is missing: copy src/playground/public next to the compiled code");
  return found;
}

export interface PlaygroundRoutes {
  handle(req: IncomingMessage, res: ServerResponse): Promise<boolean>;
  /** Ends the open event streams, so the server can close. */
  closeStreams(): void;
}

export function playgroundRoutes(
  api: PlaygroundApi,
  workspace: Workspace,
  guard: PlaygroundGuard,
  dir = publicDir(),
): PlaygroundRoutes {
  const streams = new Set<ServerResponse>();
  const notify = () => {
    for (const res of streams) res.write("event: changed\ndata: {}\n\n");
  };
  for (const event of ["message", "view", "home", "closed"]) workspace.slack.on(event, notify);

  // Each body is checked against its schema before it reaches the API.
  const post =
    <S extends z.ZodType>(schema: S, run: (input: z.infer<S>) => unknown) =>
    async (body: unknown) =>
      run(schema.parse(body));
  const posts: Record<string, (body: unknown) => Promise<unknown>> = {
    "/playground/api/command": post(commandInput, (i) => api.command(i)),
    "/playground/api/action": post(actionInput, (i) => api.action(i)),
    "/playground/api/submit": post(submitInput, (i) => api.submit(i)),
    "/playground/api/close": post(viewInput, (i) => api.close(i)),
    "/playground/api/home": post(userInput, (i) => api.openHome(i)),
  };

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<boolean> {
    const url = new URL(req.url ?? "/", "http://playground.local");
    const path = url.pathname;
    if (!path.startsWith("/playground") && path !== "/") return false;
    const misdirected = guard.checkHost(req);
    if (misdirected) return refuse(res, misdirected, path);
    if (req.method === "GET" && (path === "/" || path === "/playground/")) {
      res.writeHead(302, { location: "/playground" });
      res.end();
      return true;
    }
    if (req.method === "GET" && path === "/playground") return file(res, "index.html");
    const asset = /^\/playground\/static\/([a-z-]+\.(?:js|css))$/.exec(path)?.[1];
    if (req.method === "GET" && asset) return file(res, asset);
    if (path.startsWith("/playground/api/")) {
      const kind = req.method !== "GET" ? "change" : path === "/playground/api/events" ? "stream" : "read";
      const refused = guard.checkApi(req, url, kind);
      if (refused) return refuse(res, refused, path);
    }
    if (req.method === "GET" && path === "/playground/api/state") {
      const snapshot = workspace.snapshot(url.searchParams.get("as") ?? "");
      return json(res, snapshot ? 200 : 404, snapshot ?? { error: "no such playground user" });
    }
    if (req.method === "GET" && path === "/playground/api/events") {
      res.writeHead(200, {
        "content-type": "text/event-stream",
        "cache-control": "no-store",
        connection: "keep-alive",
      });
      res.write("event: changed\ndata: {}\n\n");
      streams.add(res);
      req.once("close", () => streams.delete(res));
      return true;
    }
    const route = req.method === "POST" ? posts[path] : undefined;
    if (!route) return json(res, 404, { error: "not found" });
    try {
      return json(res, 200, await route(JSON.parse(await readBody(req))));
    } catch (error) {
      if (error instanceof PlaygroundError) return json(res, error.status, { error: error.message });
      if (error instanceof ZodError || error instanceof SyntaxError) return json(res, 400, { error: "bad request" });
      // The bot did not answer in time, or refused the connection: the page shows the sentence.
      return json(res, 502, { error: `the bot did not answer: ${error instanceof Error ? error.message : error}` });
    }
  }

  function file(res: ServerResponse, name: string): boolean {
    const full = `${dir}${name}`;
    if (!existsSync(full)) return json(res, 404, { error: "not found" });
    const ext = name.split(".").pop() ?? "";
    res.writeHead(200, { "content-type": CONTENT_TYPES[ext] ?? "application/octet-stream", ...SECURITY_HEADERS });
    res.end(ext === "html" ? readFileSync(full, "utf8").replace(TOKEN_PLACEHOLDER, guard.token) : readFileSync(full));
    return true;
  }

  return {
    handle,
    closeStreams() {
      for (const res of streams) res.end();
      streams.clear();
    },
  };
}

/** The page's own calls read `{error}`; a refused page load gets the sentence as text. */
function refuse(res: ServerResponse, refusal: Refusal, path: string): boolean {
  if (path.startsWith("/playground/api/")) return json(res, refusal.status, { error: refusal.message });
  res.writeHead(refusal.status, { "content-type": "text/plain; charset=utf-8", "cache-control": "no-store" });
  res.end(`${refusal.message}\n`);
  return true;
}

function json(res: ServerResponse, status: number, body: unknown): boolean {
  res.writeHead(status, { "content-type": "application/json", "cache-control": "no-store" });
  res.end(JSON.stringify(body));
  return true;
}

async function readBody(req: IncomingMessage, limit = 256 * 1024): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > limit) throw new PlaygroundError(413, "request too large");
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks).toString("utf8");
}
