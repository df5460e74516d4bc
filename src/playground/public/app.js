// The playground page: a small Slack stand-in. Every gesture goes to /playground/api/*, which signs
// it as Slack would and posts it to the bot's real /slack/events; the bot's answers come back
// through the fake Web API and arrive here as a "changed" event.
import { renderBlocks } from "./blocks.js";
import { ModalHost } from "./modal.js";
import { el, renderMrkdwn } from "./mrkdwn.js";

const $ = (id) => document.getElementById(id);
const params = new URLSearchParams(location.search);
// Only a page this server served can read the token; the server refuses API calls without it.
const token = document.querySelector('meta[name="playground-token"]')?.content ?? "";
const ui = { persona: params.get("as") ?? "", current: params.get("view") ?? "", snapshot: undefined, seen: {} };

async function call(path, body) {
  const res = await fetch(`/playground/api/${path}`, {
    method: "POST",
    headers: { "content-type": "application/json", "x-playground-token": token },
    body: JSON.stringify({ user: ui.persona, ...body }),
  });
  const answer = await res.json().catch(() => ({}));
  if (!res.ok || (answer.status && answer.status !== 200)) {
    toast(answer.error ?? `The bot answered HTTP ${answer.status ?? res.status}.`);
  }
  return answer;
}

function toast(text) {
  const node = $("toast");
  node.textContent = text;
  node.hidden = false;
  clearTimeout(toast.timer);
  toast.timer = setTimeout(() => {
    node.hidden = true;
  }, 6000);
}

const modal = new ModalHost($("modal-root"), {
  submit: (viewId, state) => call("submit", { viewId, state }),
  close: (viewId) => call("close", { viewId }),
  act: (viewId, action, state) => call("action", { viewId, state, ...action }),
});

function context() {
  const snapshot = ui.snapshot;
  return {
    users: new Map(snapshot.users.map((u) => [u.id, u])),
    channels: new Map(snapshot.conversations.map((c) => [c.id, c.name])),
  };
}

function initials(name) {
  return name
    .split(/\s+/)
    .map((w) => w[0])
    .join("")
    .slice(0, 2)
    .toUpperCase();
}

function renderPersonas() {
  const list = $("personas");
  list.replaceChildren();
  for (const user of ui.snapshot.users) {
    const item = el("button", `persona${user.id === ui.persona ? " active" : ""}`);
    item.type = "button";
    item.dataset.persona = user.id;
    item.append(el("span", "avatar", initials(user.name)));
    const who = el("span", "persona-who");
    who.append(el("span", "persona-name", user.name), el("span", "persona-email", user.email ?? ""));
    if (user.groups?.length) who.append(el("span", "persona-groups", user.groups.join(" · ")));
    item.append(who);
    item.addEventListener("click", () => switchPersona(user.id));
    list.append(item);
  }
}

function navItem(id, label, count) {
  const item = el("button", `nav-item${id === ui.current ? " active" : ""}`);
  item.type = "button";
  item.dataset.conv = id;
  item.append(el("span", "nav-label", label));
  const unseen = count - (ui.seen[`${ui.persona}/${id}`] ?? 0);
  if (id !== ui.current && unseen > 0) item.append(el("span", "badge", String(unseen)));
  item.addEventListener("click", () => open(id));
  return item;
}

function renderNav() {
  const nav = $("nav");
  nav.replaceChildren();
  const conversations = ui.snapshot.conversations;
  nav.append(el("h2", "nav-heading", "Channels"));
  for (const c of conversations.filter((c) => c.kind === "channel"))
    nav.append(navItem(c.id, `# ${c.name}`, c.messages.length));
  nav.append(el("h2", "nav-heading", "Apps"));
  const dm = conversations.find((c) => c.kind === "dm");
  nav.append(navItem(dm.id, "jitbot · Messages", dm.messages.length));
  nav.append(navItem("home", "jitbot · Home", 0));
}

function renderMessage(message, conversation, ctx) {
  const node = el("article", `message${message.ephemeralFor ? " ephemeral" : ""}`);
  node.dataset.ts = message.ts;
  node.append(el("span", "avatar bot", "J"));
  const body = el("div", "message-body");
  const meta = el("div", "message-meta");
  meta.append(el("span", "author", "jitbot"), el("span", "app-badge", "APP"));
  meta.append(
    el(
      "span",
      "time",
      new Date(message.postedAt ?? Date.now()).toLocaleTimeString([], { hour: "2-digit", minute: "2-digit" }),
    ),
  );
  if (message.edited) meta.append(el("span", "edited", "(edited)"));
  body.append(meta);
  const act = (action) => call("action", { channel: conversation.id, ts: message.ts, ...action });
  body.append(message.blocks?.length ? renderBlocks(message.blocks, { ...ctx, act }) : renderMrkdwn(message.text, ctx));
  if (message.ephemeralFor) body.append(el("div", "only-you", "Only visible to you"));
  node.append(body);
  return node;
}

function renderMain() {
  const timeline = $("timeline");
  const ctx = context();
  const atBottom = timeline.scrollHeight - timeline.scrollTop - timeline.clientHeight < 40;
  timeline.replaceChildren();
  if (ui.current === "home") {
    $("conv-title").textContent = "jitbot · Home";
    $("conv-topic").textContent = "Your access, your pending requests, and what waits for your decision.";
    $("composer").hidden = true;
    const home = ui.snapshot.home;
    const act = (action) => call("action", { viewId: "home", ...action });
    timeline.append(home ? renderBlocks(home.blocks, { ...ctx, act }) : el("p", "empty", "Opening the App Home…"));
    return;
  }
  const conversation = ui.snapshot.conversations.find((c) => c.id === ui.current);
  $("composer").hidden = false;
  $("conv-title").textContent = conversation.kind === "dm" ? "jitbot" : `# ${conversation.name}`;
  $("conv-topic").textContent =
    conversation.kind === "dm"
      ? "Your direct messages with jitbot: request updates, connect steps, reminders."
      : "Type /jit commands below; approval requests for this channel's profiles appear here.";
  ui.seen[`${ui.persona}/${conversation.id}`] = conversation.messages.length;
  if (!conversation.messages.length) timeline.append(el("p", "empty", "No messages yet."));
  for (const message of conversation.messages) timeline.append(renderMessage(message, conversation, ctx));
  if (atBottom || ui.justOpened) timeline.scrollTop = timeline.scrollHeight;
  ui.justOpened = false;
}

async function refresh() {
  const res = await fetch(`/playground/api/state?as=${encodeURIComponent(ui.persona)}`, {
    headers: { "x-playground-token": token },
  });
  if (!res.ok) {
    const answer = await res.json().catch(() => ({}));
    return toast(answer.error ?? `The playground answered HTTP ${res.status}.`);
  }
  ui.snapshot = await res.json();
  // An unknown or missing ?as= gets the first person rather than a blank page.
  ui.persona = ui.snapshot.me.id;
  const known = ui.current === "home" || ui.snapshot.conversations.some((c) => c.id === ui.current);
  if (!known) ui.current = ui.snapshot.conversations.find((c) => c.kind === "channel")?.id ?? "home";
  $("me").textContent = `${ui.snapshot.me.name} · ${ui.snapshot.me.email ?? ""}`;
  renderPersonas();
  renderNav();
  renderMain();
  modal.show(ui.snapshot.modal, context());
  document.body.dataset.ready = "true";
}

function remember() {
  const url = new URL(location.href);
  url.searchParams.set("as", ui.persona);
  url.searchParams.set("view", ui.current);
  history.replaceState(null, "", url);
}

function open(id) {
  ui.current = id;
  ui.justOpened = true;
  remember();
  // Slack sends app_home_opened each time the tab is opened; the bot publishes a fresh view.
  if (id === "home") void call("home", {});
  void refresh();
}

function switchPersona(id) {
  ui.persona = id;
  if (ui.current.startsWith("D")) ui.current = `D${id}`;
  open(ui.current);
}

let pending;
function scheduleRefresh() {
  // Several fake-Slack events arrive per click; one fetch covers them.
  clearTimeout(pending);
  pending = setTimeout(() => void refresh(), 30);
}

async function start() {
  await refresh();
  open(ui.current);
}

$("composer").addEventListener("submit", async (event) => {
  event.preventDefault();
  const input = $("composer-input");
  const text = input.value.trim();
  if (!text) return;
  if (!/^\/jit\b/.test(text)) {
    toast("Only /jit commands reach the bot here, e.g. /jit help");
    return;
  }
  input.value = "";
  await call("command", { channel: ui.current, text });
});

// EventSource cannot send headers; the stream says only that something changed, never what.
new EventSource(`/playground/api/events?token=${encodeURIComponent(token)}`).addEventListener(
  "changed",
  scheduleRefresh,
);
void start();
