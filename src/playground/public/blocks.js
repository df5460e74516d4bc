// Block Kit layout blocks → DOM. This renders the bot's own JSON: the playground keeps no second
// copy of jitbot's messages.
import { renderElement } from "./elements.js";
import { el, renderText } from "./mrkdwn.js";

/** Slack names blocks the bot left unnamed; the server resolves clicks with the same rule. */
export const blockIdOf = (block, index) => block.block_id ?? `auto-${index}`;

function section(block, blockId, ctx) {
  const node = el("div", "block section");
  const body = el("div", "section-body");
  if (block.text) body.append(renderText(block.text, ctx, "section-text"));
  if (block.fields?.length) {
    const fields = el("div", "fields");
    for (const field of block.fields) fields.append(renderText(field, ctx, "field"));
    body.append(fields);
  }
  node.append(body);
  if (block.accessory) {
    const accessory = el("div", "accessory");
    accessory.append(renderElement(block.accessory, blockId, ctx));
    node.append(accessory);
  }
  return node;
}

function input(block, blockId, ctx) {
  const node = el("div", "block input-block");
  node.dataset.blockId = blockId;
  const label = el("label", "input-label", block.label?.text ?? "");
  if (block.optional) label.append(el("span", "optional", " (optional)"));
  node.append(label);
  const element = block.element ?? { type: "unknown" };
  node.append(renderElement(element, blockId, ctx, { input: true, dispatch: Boolean(block.dispatch_action) }));
  const error = ctx.errors?.[blockId];
  if (error) {
    node.classList.add("has-error");
    node.append(el("div", "input-error", error));
  }
  if (block.hint) node.append(renderText(block.hint, ctx, "input-hint"));
  return node;
}

function renderBlock(block, index, ctx) {
  const blockId = blockIdOf(block, index);
  switch (block.type) {
    case "header":
      return el("h3", "block header", block.text?.text ?? "");
    case "section":
      return section(block, blockId, ctx);
    case "context": {
      const node = el("div", "block context");
      for (const element of block.elements ?? []) node.append(renderElement(element, blockId, ctx));
      return node;
    }
    case "divider":
      return el("hr", "block divider");
    case "actions": {
      const node = el("div", "block actions");
      for (const element of block.elements ?? []) node.append(renderElement(element, blockId, ctx));
      return node;
    }
    case "input":
      return input(block, blockId, ctx);
    case "image":
      return el("div", "block image-alt", `[image: ${block.alt_text ?? ""}]`);
    default:
      return el("div", "block unsupported", `[${block.type} block is not shown in the playground]`);
  }
}

/** ctx: { users: Map, channels: Map, act(action) → Promise, errors?: {blockId: message} } */
export function renderBlocks(blocks, ctx) {
  const root = el("div", "blocks");
  (blocks ?? []).forEach((block, index) => {
    root.append(renderBlock(block, index, ctx));
  });
  return root;
}
