// Block Kit interactive elements: buttons, selects, radio buttons, text inputs.
import { el, renderMrkdwn, renderText } from "./mrkdwn.js";

const plainOf = (text) => (text && typeof text.text === "string" ? text.text : "");

/** Slack's confirm dialog: nothing is sent unless the person confirms. */
export function confirmDialog(confirm, ctx) {
  return new Promise((resolve) => {
    const backdrop = el("div", "confirm-backdrop");
    const dialog = el("div", "confirm");
    dialog.setAttribute("role", "alertdialog");
    dialog.append(el("h2", "confirm-title", plainOf(confirm.title) || "Are you sure?"));
    dialog.append(renderText(confirm.text, ctx, "confirm-text"));
    const buttons = el("div", "confirm-buttons");
    const deny = el("button", "btn", plainOf(confirm.deny) || "Cancel");
    const ok = el(
      "button",
      `btn ${confirm.style === "danger" ? "danger" : "primary"}`,
      plainOf(confirm.confirm) || "Yes",
    );
    deny.type = ok.type = "button";
    deny.dataset.confirm = "deny";
    ok.dataset.confirm = "confirm";
    const done = (answer) => {
      backdrop.remove();
      resolve(answer);
    };
    deny.addEventListener("click", () => done(false));
    backdrop.addEventListener("keydown", (event) => {
      if (event.key === "Escape") {
        event.stopPropagation();
        done(false);
      }
    });
    ok.addEventListener("click", () => done(true));
    buttons.append(deny, ok);
    dialog.append(buttons);
    backdrop.append(dialog);
    document.body.append(backdrop);
    ok.focus();
  });
}

function button(element, blockId, ctx) {
  const node = el("button", `btn ${element.style ?? ""}`.trim(), plainOf(element.text));
  node.type = "button";
  node.dataset.actionId = element.action_id ?? "";
  node.addEventListener("click", async () => {
    if (element.confirm && !(await confirmDialog(element.confirm, ctx))) return;
    if (element.url) window.open(element.url, "_blank", "noopener");
    node.disabled = true;
    try {
      await ctx.act({ blockId, actionId: element.action_id, type: "button" });
    } finally {
      node.disabled = false;
    }
  });
  return node;
}

function optionNode(option) {
  const node = el("option", "", plainOf(option.text));
  node.value = option.value;
  return node;
}

function select(element, blockId, ctx, dispatch) {
  const node = el("select", "select");
  const placeholder = el("option", "", plainOf(element.placeholder) || "Select an item");
  placeholder.value = "";
  placeholder.disabled = true;
  node.append(placeholder);
  for (const group of element.option_groups ?? []) {
    const optgroup = el("optgroup");
    optgroup.label = plainOf(group.label);
    for (const option of group.options ?? []) optgroup.append(optionNode(option));
    node.append(optgroup);
  }
  for (const option of element.options ?? []) node.append(optionNode(option));
  node.value = element.initial_option?.value ?? "";
  if (!element.initial_option) placeholder.selected = true;
  if (dispatch) {
    node.addEventListener("change", () => {
      const option = selectedOption(node);
      if (option) ctx.act({ blockId, actionId: element.action_id, type: element.type, selectedOption: option });
    });
  }
  return node;
}

/** The selected `<option>` in Slack's shape, or null. */
export function selectedOption(selectNode) {
  const chosen = selectNode.selectedOptions[0];
  if (!chosen?.value) return null;
  return { value: chosen.value, text: { type: "plain_text", text: chosen.textContent ?? "" } };
}

function radios(element, blockId, ctx, dispatch) {
  const node = el("div", "radios");
  node.setAttribute("role", "radiogroup");
  for (const option of element.options ?? []) {
    const label = el("label", "radio");
    const input = el("input");
    input.type = "radio";
    input.name = `${blockId}/${element.action_id}`;
    input.value = option.value;
    input.dataset.text = plainOf(option.text);
    input.checked = element.initial_option?.value === option.value;
    label.append(input, renderText(option.text, ctx, "radio-text"));
    if (option.description) label.append(renderText(option.description, ctx, "radio-description"));
    // An input block with dispatch_action sends the choice at once, as Slack does (break glass).
    if (dispatch) {
      input.addEventListener("change", () => {
        const selectedOption = { value: option.value, text: { type: "plain_text", text: plainOf(option.text) } };
        ctx.act({ blockId, actionId: element.action_id, type: element.type, selectedOption });
      });
    }
    node.append(label);
  }
  return node;
}

function textInput(element) {
  const node = element.multiline ? el("textarea", "input") : el("input", "input");
  if (!element.multiline) node.type = "text";
  if (element.multiline) node.rows = 4;
  node.placeholder = plainOf(element.placeholder);
  if (element.max_length) node.maxLength = element.max_length;
  node.value = element.initial_value ?? "";
  return node;
}

/**
 * One element. Inputs (inside input blocks) are marked `data-input` so the modal can read their
 * state; selects elsewhere act on change, as in Slack.
 */
export function renderElement(element, blockId, ctx, { input = false, dispatch = false } = {}) {
  let node;
  switch (element.type) {
    case "button":
      return button(element, blockId, ctx);
    case "static_select":
      node = select(element, blockId, ctx, dispatch || !input);
      break;
    case "radio_buttons":
      node = radios(element, blockId, ctx, dispatch);
      break;
    case "plain_text_input":
      node = textInput(element);
      break;
    case "image":
      return el("span", "image-alt", element.alt_text ? `[${element.alt_text}]` : "[image]");
    case "mrkdwn":
    case "plain_text":
      return renderText(element, ctx, "context-text");
    default:
      return el("span", "unsupported", `[${element.type} is not shown in the playground]`);
  }
  if (input) {
    node.dataset.input = element.type;
    node.dataset.blockId = blockId;
    node.dataset.actionId = element.action_id ?? "";
  }
  return node;
}

export { renderMrkdwn };
