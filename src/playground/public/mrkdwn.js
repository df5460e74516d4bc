// Slack mrkdwn → DOM nodes. Text only ever lands in textContent, so nothing the bot (or a person,
// through a justification) wrote can become markup.

/** Slack escapes only these three in message text. */
export function decodeEntities(text) {
  return text.replace(/&lt;/g, "<").replace(/&gt;/g, ">").replace(/&amp;/g, "&");
}

function el(tag, className, text) {
  const node = document.createElement(tag);
  if (className) node.className = className;
  if (text !== undefined) node.textContent = text;
  return node;
}

/** `<@U…>`, `<#C…|name>`, `<!date^…|fallback>`, `<!here>`, `<https://…|label>` */
function special(token, ctx) {
  const [target, label] = splitOnce(token, "|");
  if (target.startsWith("@")) {
    const user = ctx.users.get(target.slice(1));
    return el("span", "mention", `@${user ? user.name : target.slice(1)}`);
  }
  if (target.startsWith("#")) {
    const name = label || ctx.channels.get(target.slice(1)) || target.slice(1);
    return el("span", "mention", `#${name}`);
  }
  if (target.startsWith("!date^")) {
    const [, unix] = target.split("^");
    const node = el("time", "date", decodeEntities(label || target));
    const when = new Date(Number(unix) * 1000);
    // Slack shows each reader's local time; the fallback is what a client that cannot do so shows.
    if (!Number.isNaN(when.getTime())) node.title = when.toString();
    return node;
  }
  if (target.startsWith("!")) return el("span", "mention", `@${label || target.slice(1).split("^")[0]}`);
  if (/^https?:\/\//.test(target)) {
    const link = el("a", "link", decodeEntities(label || target));
    link.href = decodeEntities(target);
    link.target = "_blank";
    link.rel = "noopener noreferrer";
    return link;
  }
  if (/^mailto:/.test(target)) return el("span", "link", decodeEntities(label || target.slice(7)));
  return document.createTextNode(decodeEntities(`<${token}>`));
}

function splitOnce(text, separator) {
  const at = text.indexOf(separator);
  return at < 0 ? [text, ""] : [text.slice(0, at), text.slice(at + 1)];
}

// Bold/italic/strike need a non-word neighbour, as in Slack: `aks_prod_sre` stays plain.
const INLINE =
  /`([^`\n]+)`|<([^<>\s][^<>]*)>|(?<![\w*])\*(?!\s)([^*\n]+?)\*(?![\w*])|(?<![\w_])_(?!\s)([^_\n]+?)_(?![\w_])|(?<![\w~])~(?!\s)([^~\n]+?)~(?![\w~])/g;

function inline(text, parent, ctx) {
  let last = 0;
  for (const match of text.matchAll(INLINE)) {
    if (match.index > last) parent.append(decodeEntities(text.slice(last, match.index)));
    const [, code, token, bold, italic, strike] = match;
    if (code !== undefined) parent.append(el("code", "", decodeEntities(code)));
    else if (token !== undefined) parent.append(special(token, ctx));
    else {
      const node = el(bold !== undefined ? "strong" : italic !== undefined ? "em" : "s");
      inline(bold ?? italic ?? strike, node, ctx);
      parent.append(node);
    }
    last = match.index + match[0].length;
  }
  if (last < text.length) parent.append(decodeEntities(text.slice(last)));
}

/** Lines starting with `>` (or `&gt;`) form a quote; the rest keeps its line breaks. */
function lines(text, parent, ctx) {
  let quote;
  text.split("\n").forEach((line, index, all) => {
    const quoted = /^(>|&gt;)/.exec(line);
    if (quoted) {
      if (!quote) {
        quote = el("blockquote");
        parent.append(quote);
      } else quote.append("\n");
      inline(line.slice(quoted[0].length).replace(/^ /, ""), quote, ctx);
      return;
    }
    quote = undefined;
    inline(line, parent, ctx);
    // A quote is a block of its own: the line before it needs no break.
    const next = all[index + 1];
    if (next !== undefined && !/^(>|&gt;)/.test(next)) parent.append("\n");
  });
}

/** Renders a mrkdwn string into a new element; ``` fences become code blocks. */
export function renderMrkdwn(text, ctx, className = "mrkdwn") {
  const root = el("div", className);
  String(text ?? "")
    .split("```")
    .forEach((part, index) => {
      if (index % 2 === 1) root.append(el("pre", "code-block", decodeEntities(part.replace(/^\n/, ""))));
      else lines(part, root, ctx);
    });
  return root;
}

/** A Block Kit text object: plain_text shows as is, mrkdwn is parsed. */
export function renderText(textObject, ctx, className) {
  if (!textObject) return el("div", className);
  if (textObject.type === "plain_text") return el("div", `${className ?? ""} plain`, textObject.text);
  return renderMrkdwn(textObject.text, ctx, className);
}

export { el };
