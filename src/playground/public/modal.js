// The modal overlay: renders the open view, reads its inputs as Slack's `view.state.values`, and
// shows the field errors the bot answers a submission with.
import { blockIdOf, renderBlocks } from "./blocks.js";
import { selectedOption } from "./elements.js";
import { el } from "./mrkdwn.js";

/** The inputs' current values in Slack's `state.values` shape. */
export function readState(root) {
  const values = {};
  for (const node of root.querySelectorAll("[data-input]")) {
    const { blockId, actionId } = node.dataset;
    const type = node.dataset.input;
    let state;
    if (type === "plain_text_input") state = { type, value: node.value === "" ? null : node.value };
    else if (type === "static_select") state = { type, selected_option: selectedOption(node) };
    else if (type === "radio_buttons") {
      const checked = node.querySelector("input:checked");
      state = {
        type,
        selected_option: checked
          ? { value: checked.value, text: { type: "plain_text", text: checked.dataset.text ?? "" } }
          : null,
      };
    } else continue;
    values[blockId] = { ...(values[blockId] ?? {}), [actionId]: state };
  }
  return values;
}

/**
 * Views are re-rendered only when the bot changed them (a new id or hash): a refresh caused by
 * someone else's click must not wipe what the person is typing.
 */
export class ModalHost {
  constructor(root, handlers) {
    this.root = root;
    this.handlers = handlers; // { submit(viewId, state) → errors?, close(viewId), act(viewId, action, state) }
    this.key = "";
  }

  show(modal, ctx) {
    if (!modal) {
      this.key = "";
      this.root.replaceChildren();
      return;
    }
    const key = `${modal.id}:${modal.hash}`;
    if (key === this.key) return;
    // views.update keeps what was typed in inputs that are still there, as Slack does.
    const typed = this.key.startsWith(`${modal.id}:`) ? readState(this.root) : {};
    this.key = key;
    this.render(modal, ctx, {}, typed, false);
  }

  render(modal, ctx, errors, typed = {}, keepSelects = true) {
    const view = modal.view;
    const act = (action) => this.handlers.act(modal.id, action, readState(this.root));
    const backdrop = el("div", "modal-backdrop");
    const dialog = el("form", "modal");
    dialog.setAttribute("role", "dialog");
    dialog.setAttribute("aria-modal", "true");
    dialog.noValidate = true;
    dialog.append(el("header", "modal-title", view.title?.text ?? ""));
    const body = el("div", "modal-body");
    body.append(renderBlocks(view.blocks, { ...ctx, act, errors }));
    dialog.append(body);
    const footer = el("footer", "modal-footer");
    const close = el("button", "btn", view.close?.text ?? "Cancel");
    close.type = "button";
    close.dataset.modal = "close";
    close.addEventListener("click", () => this.handlers.close(modal.id));
    footer.append(close);
    if (view.submit) {
      const submit = el("button", "btn primary", view.submit.text);
      submit.type = "submit";
      submit.dataset.modal = "submit";
      footer.append(submit);
    }
    dialog.append(footer);
    // Escape closes the modal as in Slack, unless a confirm dialog above it takes the key.
    dialog.addEventListener("keydown", (event) => {
      if (event.key === "Escape" && !document.querySelector(".confirm")) this.handlers.close(modal.id);
    });
    dialog.addEventListener("submit", async (event) => {
      event.preventDefault();
      const state = readState(this.root);
      const answer = await this.handlers.submit(modal.id, state);
      if (answer?.errors && Object.keys(answer.errors).length) {
        this.render(modal, ctx, answer.errors, state, true);
      }
    });
    backdrop.append(dialog);
    this.root.replaceChildren(backdrop);
    restore(this.root, view.blocks, typed, keepSelects);
    const firstError = this.root.querySelector(".has-error [data-input]");
    (firstError ?? this.root.querySelector("[data-input]"))?.focus();
  }
}

/**
 * Puts what the person entered back after a re-render. After views.update the bot's new
 * initial_option wins for selects (it rebuilt the form around them); after errors everything stays.
 */
function restore(root, blocks, typed, keepSelects) {
  (blocks ?? []).forEach((block, index) => {
    const blockId = blockIdOf(block, index);
    for (const [actionId, state] of Object.entries(typed[blockId] ?? {})) {
      const node = root.querySelector(
        `[data-block-id="${CSS.escape(blockId)}"][data-action-id="${CSS.escape(actionId)}"]`,
      );
      if (!node) continue;
      if (state.type === "plain_text_input" && state.value) node.value = state.value;
      const select = state.type === "static_select" && state.selected_option;
      if (select && (keepSelects || !block.element?.initial_option)) {
        node.value = state.selected_option.value;
        if (node.value !== state.selected_option.value) node.value = "";
      }
      if (state.type === "radio_buttons" && state.selected_option) {
        const radio = [...node.querySelectorAll("input")].find((r) => r.value === state.selected_option.value);
        if (radio) radio.checked = true;
      }
    }
  });
}
