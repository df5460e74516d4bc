import type { ServerResponse } from "node:http";

/** What a step-up page says: a title and the one sentence of what happened. */
export interface StepUpPage {
  status: number;
  title: string;
  sentence: string;
}

export const page = (status: number, title: string, sentence: string): StepUpPage => ({ status, title, sentence });

export const UNKNOWN = page(
  404,
  "Link not recognised",
  "This sign-in link is not one jitbot gave out; click Approve in Slack for a new one.",
);
export const USED = page(
  409,
  "Link already used",
  "This sign-in link has already been used, so it cannot record anything again; click Approve in Slack for a new one.",
);
export const EXPIRED = page(
  410,
  "Link expired",
  "This sign-in link expired 5 minutes after Approve was clicked and nothing was recorded; click Approve in Slack again for a new one.",
);

const HTML_ESCAPES: Record<string, string> = { "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" };

export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => HTML_ESCAPES[c] ?? c);
}

/**
 * The page is static text: no script, nothing loaded from elsewhere, never framed or cached, and
 * no Referer leaves it (the callback's URL carries the authorization code).
 */
const PAGE_HEADERS = {
  "content-type": "text/html; charset=utf-8",
  "cache-control": "no-store",
  "content-security-policy": "default-src 'none'; style-src 'unsafe-inline'; frame-ancestors 'none'",
  "referrer-policy": "no-referrer",
  "x-content-type-options": "nosniff",
  "x-frame-options": "DENY",
};

export function renderPage(page: StepUpPage): string {
  const title = escapeHtml(page.title);
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>jitbot — ${title}</title>
<style>body{font:16px/1.5 system-ui,sans-serif;max-width:36em;margin:4em auto;padding:0 1em;color:#1d1c1d}</style>
</head><body><h1>${title}</h1><p>${escapeHtml(page.sentence)}</p></body></html>
`;
}

export function sendPage(res: ServerResponse, page: StepUpPage): void {
  const body = renderPage(page);
  res.writeHead(page.status, { ...PAGE_HEADERS, "content-length": Buffer.byteLength(body) });
  res.end(body);
}

export function sendRedirect(res: ServerResponse, location: string): void {
  res.writeHead(302, { location, "cache-control": "no-store", "referrer-policy": "no-referrer", "content-length": 0 });
  res.end();
}
