/**
 * Slack's documented Block Kit limits, as a checker that walks any payload the bot builds and
 * lists every rule it breaks with the JSON path. Each rule names its documentation page.
 *
 * Lengths are counted in UTF-16 units of the text as sent, after `&`, `<`, `>` became entities.
 * Slack's pages say "characters" without saying whether entities count as one; counting the text
 * as sent is the conservative reading (an escaped `&` counts 5), and UTF-16 units are never fewer
 * than code points.
 */

const DOC = {
  blocks: "https://docs.slack.dev/reference/block-kit/blocks",
  section: "https://docs.slack.dev/reference/block-kit/blocks/section-block",
  header: "https://docs.slack.dev/reference/block-kit/blocks/header-block",
  context: "https://docs.slack.dev/reference/block-kit/blocks/context-block",
  actions: "https://docs.slack.dev/reference/block-kit/blocks/actions-block",
  input: "https://docs.slack.dev/reference/block-kit/blocks/input-block",
  divider: "https://docs.slack.dev/reference/block-kit/blocks/divider-block",
  button: "https://docs.slack.dev/reference/block-kit/block-elements/button-element",
  select: "https://docs.slack.dev/reference/block-kit/block-elements/select-menu-element",
  textInput: "https://docs.slack.dev/reference/block-kit/block-elements/plain-text-input-element",
  text: "https://docs.slack.dev/reference/block-kit/composition-objects/text-object",
  option: "https://docs.slack.dev/reference/block-kit/composition-objects/option-object",
  optionGroup: "https://docs.slack.dev/reference/block-kit/composition-objects/option-group-object",
  confirm: "https://docs.slack.dev/reference/block-kit/composition-objects/confirmation-dialog-object",
  views: "https://docs.slack.dev/reference/views/modal-views",
  postMessage: "https://docs.slack.dev/reference/methods/chat.postMessage",
  formatting: "https://docs.slack.dev/messaging/formatting-message-text#escaping",
} as const;

export interface Violation {
  path: string;
  rule: string;
  doc: string;
}

export type Surface = "message" | "modal" | "home" | "options";

type Json = Record<string, unknown>;
const isObject = (value: unknown): value is Json => typeof value === "object" && value !== null;
const asArray = (value: unknown): unknown[] => (Array.isArray(value) ? value : []);

class Checker {
  readonly found: Violation[] = [];
  private readonly blockIds = new Set<string>();

  fail(path: string, rule: string, doc: string) {
    this.found.push({ path, rule, doc });
  }

  max(path: string, value: string | undefined, limit: number, doc: string, what = "text") {
    if (value !== undefined && value.length > limit) {
      this.fail(path, `${what} is ${value.length} characters, more than ${limit}`, doc);
    }
  }

  count(path: string, items: unknown[], limit: number, doc: string, what: string) {
    if (items.length > limit) this.fail(path, `${items.length} ${what}, more than ${limit}`, doc);
  }

  /** A text object: type, 1–3000 characters, and for mrkdwn only Slack's own control sequences. */
  text(path: string, value: unknown, limit: number, doc: string, options: { plainOnly?: boolean } = {}) {
    if (!isObject(value)) return this.fail(path, "is not a text object", DOC.text);
    const type = value.type;
    if (type !== "plain_text" && type !== "mrkdwn") return this.fail(path, `type "${String(type)}"`, DOC.text);
    // Doc (text object): plain_text is the only type some fields take (titles, labels, button text).
    if (options.plainOnly && type !== "plain_text") this.fail(path, "must be plain_text", doc);
    // Doc (text object): `emoji` is "only usable when type is plain_text".
    if (type === "mrkdwn" && "emoji" in value) this.fail(`${path}.emoji`, "emoji is for plain_text only", DOC.text);
    const text = typeof value.text === "string" ? value.text : "";
    // Doc (text object): "The minimum length is 1 and maximum length is 3000 characters."
    if (text.length === 0) this.fail(`${path}.text`, "is empty", DOC.text);
    this.max(`${path}.text`, text, Math.min(limit, 3000), limit < 3000 ? doc : DOC.text);
    if (type === "mrkdwn") this.escaped(`${path}.text`, text);
  }

  /**
   * Doc (formatting, "Escaping text"): `&`, `<` and `>` are control characters and must be sent as
   * `&amp;`, `&lt;`, `&gt;` unless used for their parsing purpose: `<…>` tokens (mentions, dates,
   * links) and `>` opening a quote line.
   */
  escaped(path: string, text: string) {
    const withoutTokens = text.replace(/<(?:[@#!]|https?:\/\/|mailto:)[^<>\n]*>/g, "");
    const bareAmp = withoutTokens.replace(/&(?:amp|lt|gt);/g, "").includes("&");
    const bareLt = withoutTokens.includes("<");
    const bareGt = withoutTokens.replace(/(^|\n)>/g, "$1").includes(">");
    if (bareAmp || bareLt || bareGt) {
      const which = [bareAmp && "&", bareLt && "<", bareGt && ">"].filter(Boolean).join(" ");
      this.fail(path, `unescaped ${which} in mrkdwn`, DOC.formatting);
    }
  }

  blocks(path: string, blocks: unknown, limit: number) {
    const list = asArray(blocks);
    // Doc (blocks): "up to 50 blocks in each message, and 100 blocks in modals or Home tabs."
    this.count(path, list, limit, DOC.blocks, "blocks");
    list.forEach((block, i) => {
      this.block(`${path}[${i}]`, block);
    });
  }

  block(path: string, block: unknown) {
    if (!isObject(block)) return this.fail(path, "is not a block", DOC.blocks);
    if (typeof block.block_id === "string") {
      // Doc (every block page): block_id "Maximum length for this field is 255 characters" and
      // "should be unique for each message".
      this.max(`${path}.block_id`, block.block_id, 255, DOC.section, "block_id");
      if (this.blockIds.has(block.block_id)) this.fail(`${path}.block_id`, "block_id repeats", DOC.section);
      this.blockIds.add(block.block_id);
    }
    switch (block.type) {
      case "section":
        return this.section(path, block);
      case "header":
        // Doc (header): plain_text only, "Maximum length for the text in this field is 150 characters."
        return this.text(`${path}.text`, block.text, 150, DOC.header, { plainOnly: true });
      case "context": {
        const elements = asArray(block.elements);
        // Doc (context): "Maximum number of items is 10."
        this.count(`${path}.elements`, elements, 10, DOC.context, "elements");
        elements.forEach((e, i) => {
          this.text(`${path}.elements[${i}]`, e, 3000, DOC.context);
        });
        return;
      }
      case "actions": {
        const elements = asArray(block.elements);
        // Doc (actions): "There is a maximum of 25 elements in each action block."
        this.count(`${path}.elements`, elements, 25, DOC.actions, "elements");
        if (elements.length === 0) this.fail(`${path}.elements`, "is empty", DOC.actions);
        elements.forEach((e, i) => {
          this.element(`${path}.elements[${i}]`, e);
        });
        return;
      }
      case "input":
        // Doc (input): label and hint are plain_text, "Maximum length for the text in this field is 2000".
        this.text(`${path}.label`, block.label, 2000, DOC.input, { plainOnly: true });
        if (block.hint !== undefined) this.text(`${path}.hint`, block.hint, 2000, DOC.input, { plainOnly: true });
        return this.element(`${path}.element`, block.element);
      case "divider":
        return;
      default:
        this.fail(`${path}.type`, `block type "${String(block.type)}" is not one jitbot is checked for`, DOC.blocks);
    }
  }

  section(path: string, block: Json) {
    // Doc (section): text "maximum length is 3000"; fields "Maximum number of items is 10. Maximum
    // length for the text in each item is 2000"; text is required unless fields are given.
    if (block.text === undefined && block.fields === undefined)
      this.fail(path, "has neither text nor fields", DOC.section);
    if (block.text !== undefined) this.text(`${path}.text`, block.text, 3000, DOC.section);
    if (block.fields !== undefined) {
      const fields = asArray(block.fields);
      this.count(`${path}.fields`, fields, 10, DOC.section, "fields");
      fields.forEach((f, i) => {
        this.text(`${path}.fields[${i}]`, f, 2000, DOC.section);
      });
    }
    if (block.accessory !== undefined) this.element(`${path}.accessory`, block.accessory);
  }

  element(path: string, element: unknown) {
    if (!isObject(element)) return this.fail(path, "is not an element", DOC.blocks);
    // Doc (every interactive element): action_id "Maximum length for this field is 255 characters."
    if (typeof element.action_id === "string")
      this.max(`${path}.action_id`, element.action_id, 255, DOC.button, "action_id");
    if (element.confirm !== undefined) this.confirm(`${path}.confirm`, element.confirm);
    if (element.placeholder !== undefined) {
      // Doc (select, plain-text input): placeholder plain_text, at most 150 characters.
      this.text(`${path}.placeholder`, element.placeholder, 150, DOC.select, { plainOnly: true });
    }
    switch (element.type) {
      case "button":
        // Doc (button): text plain_text ≤ 75; value ≤ 2000; url ≤ 3000.
        this.text(`${path}.text`, element.text, 75, DOC.button, { plainOnly: true });
        if (typeof element.value === "string") this.max(`${path}.value`, element.value, 2000, DOC.button, "value");
        if (typeof element.url === "string") this.max(`${path}.url`, element.url, 3000, DOC.button, "url");
        return;
      case "static_select":
        return this.staticSelect(path, element);
      case "external_select":
        // Doc (select, external): initial_option is an option object; min_query_length is a number.
        if (element.initial_option !== undefined) this.option(`${path}.initial_option`, element.initial_option);
        if (element.options !== undefined)
          this.fail(`${path}.options`, "an external select loads its options", DOC.select);
        return;
      case "plain_text_input":
        return this.textInput(path, element);
      default:
        this.fail(
          `${path}.type`,
          `element type "${String(element.type)}" is not one jitbot is checked for`,
          DOC.blocks,
        );
    }
  }

  staticSelect(path: string, element: Json) {
    const hasOptions = element.options !== undefined;
    const hasGroups = element.option_groups !== undefined;
    // Doc (select, static): options "Maximum number of options is 100. If option_groups is
    // specified, this field should not be"; option_groups "Maximum number of option groups is 100."
    if (hasOptions === hasGroups) this.fail(path, "needs exactly one of options and option_groups", DOC.select);
    const all = this.optionsOrGroups(path, element);
    if (element.initial_option !== undefined) {
      this.option(`${path}.initial_option`, element.initial_option);
      // Doc (select, static): initial_option "must exactly match one of the options".
      const wanted = JSON.stringify(element.initial_option);
      if (!all.some((o) => JSON.stringify(o) === wanted)) {
        this.fail(`${path}.initial_option`, "matches none of the options", DOC.select);
      }
    }
  }

  /** Options or option groups (a select, or an Options Load URL answer); returns every option. */
  optionsOrGroups(path: string, holder: Json): unknown[] {
    const options = asArray(holder.options);
    this.count(`${path}.options`, options, 100, DOC.select, "options");
    options.forEach((o, i) => {
      this.option(`${path}.options[${i}]`, o);
    });
    const groups = asArray(holder.option_groups);
    this.count(`${path}.option_groups`, groups, 100, DOC.select, "option groups");
    const grouped = groups.flatMap((group, g) => {
      if (!isObject(group)) {
        this.fail(`${path}.option_groups[${g}]`, "is not an option group", DOC.optionGroup);
        return [];
      }
      // Doc (option group): label plain_text ≤ 75; options "Maximum of 100 items."
      this.text(`${path}.option_groups[${g}].label`, group.label, 75, DOC.optionGroup, { plainOnly: true });
      const inGroup = asArray(group.options);
      this.count(`${path}.option_groups[${g}].options`, inGroup, 100, DOC.optionGroup, "options");
      inGroup.forEach((o, i) => {
        this.option(`${path}.option_groups[${g}].options[${i}]`, o);
      });
      return inGroup;
    });
    return [...options, ...grouped];
  }

  option(path: string, option: unknown) {
    if (!isObject(option)) return this.fail(path, "is not an option", DOC.option);
    // Doc (option): text ≤ 75 (plain_text in selects); description ≤ 75; value "Maximum length for
    // this field is 150 characters" on the page, 75 in @slack/types: the stricter 75 is checked.
    this.text(`${path}.text`, option.text, 75, DOC.option, { plainOnly: true });
    if (option.description !== undefined) {
      this.text(`${path}.description`, option.description, 75, DOC.option, { plainOnly: true });
    }
    if (typeof option.value !== "string" || option.value.length === 0)
      this.fail(`${path}.value`, "is missing", DOC.option);
    else this.max(`${path}.value`, option.value, 75, DOC.option, "value");
  }

  textInput(path: string, element: Json) {
    // Doc (plain-text input): min_length 0–3000, max_length 1–3000 inclusive.
    const max = typeof element.max_length === "number" ? element.max_length : 3000;
    const min = typeof element.min_length === "number" ? element.min_length : 0;
    if (max < 1 || max > 3000) this.fail(`${path}.max_length`, `max_length ${max} is outside 1–3000`, DOC.textInput);
    if (min < 0 || min > 3000) this.fail(`${path}.min_length`, `min_length ${min} is outside 0–3000`, DOC.textInput);
    // A prefilled value longer than max_length could never be submitted.
    if (typeof element.initial_value === "string") {
      this.max(`${path}.initial_value`, element.initial_value, max, DOC.textInput, "initial_value");
    }
  }

  confirm(path: string, confirm: unknown) {
    if (!isObject(confirm)) return this.fail(path, "is not a confirmation dialog", DOC.confirm);
    // Doc (confirmation dialog): title plain_text ≤ 100; text ≤ 300; confirm and deny plain_text ≤ 30.
    this.text(`${path}.title`, confirm.title, 100, DOC.confirm, { plainOnly: true });
    this.text(`${path}.text`, confirm.text, 300, DOC.confirm);
    this.text(`${path}.confirm`, confirm.confirm, 30, DOC.confirm, { plainOnly: true });
    this.text(`${path}.deny`, confirm.deny, 30, DOC.confirm, { plainOnly: true });
  }

  view(payload: Json, surface: "modal" | "home") {
    // Doc (views): blocks "Max of 100"; private_metadata ≤ 3000; callback_id ≤ 255; a modal's
    // title, submit and close are plain_text ≤ 24, and submit is required with an input block.
    this.blocks("blocks", payload.blocks, 100);
    if (typeof payload.private_metadata === "string") {
      this.max("private_metadata", payload.private_metadata, 3000, DOC.views, "private_metadata");
    }
    if (typeof payload.callback_id === "string")
      this.max("callback_id", payload.callback_id, 255, DOC.views, "callback_id");
    if (surface === "home") return;
    this.text("title", payload.title, 24, DOC.views, { plainOnly: true });
    if (payload.submit !== undefined) this.text("submit", payload.submit, 24, DOC.views, { plainOnly: true });
    if (payload.close !== undefined) this.text("close", payload.close, 24, DOC.views, { plainOnly: true });
    const hasInput = asArray(payload.blocks).some((b) => isObject(b) && b.type === "input");
    if (hasInput && payload.submit === undefined)
      this.fail("submit", "a modal with input blocks needs submit", DOC.views);
  }

  message(payload: Json) {
    const text = typeof payload.text === "string" ? payload.text : "";
    // Doc (chat.postMessage, "Truncating content"): keep `text` to 4,000 characters; Slack cuts
    // longer messages at 40,000. The 4,000 is checked. `text` is mrkdwn unless mrkdwn: false.
    if (text.length === 0)
      this.fail("text", "is empty: it is the notification and screen-reader text", DOC.postMessage);
    this.max("text", text, 4000, DOC.postMessage);
    this.escaped("text", text);
    if (payload.blocks !== undefined) this.blocks("blocks", payload.blocks, 50);
  }
}

/** Every documented limit `payload` breaks, as `path: rule (doc)`; empty when Slack would take it. */
export function blockKitViolations(payload: unknown, surface: Surface): Violation[] {
  const checker = new Checker();
  if (!isObject(payload)) {
    checker.fail("", "is not an object", DOC.blocks);
    return checker.found;
  }
  if (surface === "message") checker.message(payload);
  else if (surface === "options") checker.optionsOrGroups("", payload);
  else checker.view(payload, surface);
  return checker.found;
}

export function describeViolations(violations: Violation[]): string[] {
  return violations.map((v) => `${v.path}: ${v.rule} (${v.doc})`);
}
