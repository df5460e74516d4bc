import { createServer } from "node:http";
import type { AddressInfo } from "node:net";

export interface AttackerSite {
  /** http://127.0.0.1:OTHER_PORT/ — same site as the playground, another origin. */
  url: string;
  close(): Promise<void>;
}

/**
 * The page another site would serve: it knows the playground's address and every id the approval
 * needs (the worst case), but not the page token. It tries a no-cors fetch, a form post (the
 * text/plain trick that makes a form body parse as JSON) and a read of the state, and writes what
 * it saw to `window.attack`.
 */
export function attackerPage(playground: string, approveBody: string): string {
  // `{…,"ts":"…"}` → a form field named `{…,"ts":"…","pad":"` with the value `"}` posts
  // `{…,"ts":"…","pad":"="}` — JSON, if the server parses bodies whatever their type.
  const formName = `${approveBody.slice(0, -1)},"pad":"`;
  const script = `
    const playground = ${JSON.stringify(playground)};
    const body = ${JSON.stringify(approveBody)};
    window.attack = (async () => {
      const seen = {};
      await fetch(playground + "/playground/api/action", { method: "POST", mode: "no-cors", body })
        .then((r) => { seen.noCors = r.type; }, (e) => { seen.noCors = String(e); });
      await fetch(playground + "/playground/api/action", {
        method: "POST", mode: "no-cors", headers: { "content-type": "application/json" }, body,
      }).then((r) => { seen.noCorsJson = r.type; }, (e) => { seen.noCorsJson = String(e); });
      await fetch(playground + "/playground/api/state?as=U0LEAD")
        .then((r) => r.text()).then((t) => { seen.read = t; }, (e) => { seen.read = "blocked: " + e; });
      const form = document.createElement("form");
      form.method = "POST";
      form.enctype = "text/plain";
      form.action = playground + "/playground/api/action";
      form.target = "sink";
      const field = document.createElement("input");
      field.name = ${JSON.stringify(formName)};
      field.value = '"}';
      form.append(field);
      document.body.append(form);
      const posted = new Promise((resolve) => document.querySelector("iframe").addEventListener("load", resolve));
      form.submit();
      await posted;
      seen.form = "posted";
      return seen;
    })();`;
  return `<!doctype html><html><body><h1>Totally harmless page</h1><iframe name="sink"></iframe><script>${script}</script></body></html>`;
}

export async function startAttackerSite(html: () => string): Promise<AttackerSite> {
  const server = createServer((_req, res) => {
    res.writeHead(200, { "content-type": "text/html; charset=utf-8" });
    res.end(html());
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/`,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
