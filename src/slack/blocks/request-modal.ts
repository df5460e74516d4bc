import { formatDuration } from "../../config/duration.js";
import type { Profile } from "../../config/schema.js";
import { BREAK_GLASS_MIN_REASON } from "../../domain/break-glass.js";
import { TEXT_LIMITS } from "../../domain/limits.js";
import { durationChoices } from "../../domain/policy.js";
import { truncate } from "../escape.js";
import { BLOCK, CALLBACK, VALUE } from "../ids.js";
import { modeBlock } from "./break-glass-form.js";
import { type Block, mrkdwn, plain, section, type View } from "./kit.js";

export interface RequestPrefill {
  profileId?: string;
  durationSeconds?: number;
  justification?: string;
  /** A line shown above the form, e.g. about an unknown profile that was typed. */
  notice?: string;
  /** Set when the modal extends an active grant. */
  extendsRequestId?: string;
  /** Break glass chosen (only offered on a profile with breakGlass). */
  breakGlass?: boolean;
}

/** Slack refuses a static_select with more than 100 options; past that the list is searched. */
export const STATIC_SELECT_LIMIT = 100;

const option = (profile: Profile) => ({
  text: plain(truncate(profile.title, 75)),
  value: profile.id,
  description: plain(truncate(`${profile.id} · ${whereItReaches(profile)}`, 75)),
});

/** A bundle reaches each of its profiles' clusters; a profile its own. */
const whereItReaches = (profile: Profile) =>
  profile.bundle
    ? `bundle of ${profile.bundle.profiles.map((p) => p.id).join(" + ")}`
    : `${profile.cluster.kind.toUpperCase()} ${profile.cluster.name}`;
const groupOf = (profile: Profile) =>
  profile.bundle ? "Bundles" : `${profile.cluster.kind.toUpperCase()} · ${profile.cluster.name}`;

/** Options for a profile select; grouped by cluster when there are several clusters. */
type ProfileOption = ReturnType<typeof option>;
export type ProfileOptions =
  | { options: ProfileOption[] }
  | { option_groups: { label: ReturnType<typeof plain>; options: ProfileOption[] }[] };

export function profileOptions(profiles: Profile[], query = ""): ProfileOptions {
  const q = query.trim().toLowerCase();
  const matching = profiles
    .filter((p) => !q || p.id.includes(q) || p.title.toLowerCase().includes(q))
    .slice(0, STATIC_SELECT_LIMIT);
  const clusters = [...new Set(matching.map(groupOf))];
  if (clusters.length <= 1 || matching.length <= 5) return { options: matching.map(option) };
  return {
    option_groups: clusters.map((label) => ({
      label: plain(truncate(label, 75)),
      options: matching.filter((p) => groupOf(p) === label).map(option),
    })),
  };
}

function profileElement(profiles: Profile[], selected: Profile | undefined) {
  const base = {
    action_id: VALUE,
    placeholder: plain("Choose an access profile"),
    ...(selected ? { initial_option: option(selected) } : {}),
  };
  if (profiles.length > STATIC_SELECT_LIMIT) return { type: "external_select", min_query_length: 0, ...base };
  return { type: "static_select", ...base, ...profileOptions(profiles) };
}

function durationElement(
  profile: Profile | undefined,
  profiles: Profile[],
  wanted: number | undefined,
  extending: boolean,
  breakGlass = false,
) {
  const ownCap = profile ? profile.duration.max : Math.max(...profiles.map((p) => p.duration.max));
  const profileCap = breakGlass && profile?.breakGlass ? Math.min(ownCap, profile.breakGlass.max) : ownCap;
  // An extension may ask for at most extension.max more, whatever the profile's own cap.
  const cap = extending && profile?.extension?.max ? Math.min(profileCap, profile.extension.max) : profileCap;
  const choices = (profile ? durationChoices(profile) : [900, 1800, 3600, 7200, 14_400, 28_800]).filter(
    (s) => s <= cap,
  );
  if (!choices.includes(cap) && (extending || breakGlass || choices.length === 0)) choices.push(cap);
  if (wanted && wanted <= cap && !choices.includes(wanted)) choices.push(wanted);
  choices.sort((a, b) => a - b);
  // Break glass's own cap may sit under the profile's default: the longest it allows is offered.
  const fallback = breakGlass && profile && profile.duration.default > cap ? cap : profile?.duration.default;
  const initial = wanted && choices.includes(wanted) ? wanted : fallback;
  const toOption = (seconds: number) => ({ text: plain(formatDuration(seconds)), value: String(seconds) });
  return {
    type: "static_select",
    action_id: VALUE,
    placeholder: plain("How long?"),
    options: choices.slice(0, STATIC_SELECT_LIMIT).map(toOption),
    ...(initial && choices.includes(initial) ? { initial_option: toOption(initial) } : {}),
  };
}

function durationHint(profile: Profile | undefined, extending: boolean, breakGlass: boolean): string {
  if (!profile) return "Pick a profile to see its limit.";
  if (breakGlass && profile.breakGlass) {
    return `Break glass grants at most ${formatDuration(profile.breakGlass.max)} on this profile; ask for approval to get longer.`;
  }
  if (extending && profile.extension?.max) return `At most ${formatDuration(profile.extension.max)} more.`;
  return `At most ${formatDuration(profile.duration.max)} for this profile.`;
}

/** The request form. The profile select dispatches so the other fields follow the chosen profile. */
export function requestModal(profiles: Profile[], prefill: RequestPrefill = {}): View {
  const selected = profiles.find((p) => p.id === prefill.profileId);
  const extending = Boolean(prefill.extendsRequestId);
  const offersGlass = Boolean(selected?.breakGlass) && !extending;
  const breakGlass = offersGlass && Boolean(prefill.breakGlass);
  const blocks: Block[] = [];
  if (prefill.notice) blocks.push(section(`⚠️ ${prefill.notice}`));
  if (prefill.extendsRequestId) {
    blocks.push(section(`Extending grant *${prefill.extendsRequestId}*: the time you choose is added to its end.`));
  }
  blocks.push({
    type: "input",
    block_id: BLOCK.profile,
    dispatch_action: true,
    label: plain("Access profile"),
    element: profileElement(profiles, selected),
    ...(selected?.description ? { hint: plain(truncate(selected.description, 2000)) } : {}),
  });
  if (selected && offersGlass) blocks.push(modeBlock(selected, breakGlass));
  blocks.push({
    type: "input",
    block_id: BLOCK.duration,
    label: plain("Duration"),
    element: durationElement(selected, profiles, prefill.durationSeconds, extending, breakGlass),
    hint: plain(durationHint(selected, extending, breakGlass)),
  });
  const minLength = selected?.justification.minLength ?? 10;
  blocks.push({
    type: "input",
    block_id: BLOCK.justification,
    label: plain(breakGlass ? "Reason for breaking glass" : "Justification"),
    element: {
      type: "plain_text_input",
      action_id: VALUE,
      multiline: true,
      max_length: TEXT_LIMITS.justification,
      placeholder: plain("What will you do, and why now?"),
      ...(prefill.justification ? { initial_value: truncate(prefill.justification, TEXT_LIMITS.justification) } : {}),
    },
    hint: plain(
      breakGlass
        ? `Required: what is broken, and why it cannot wait (at least ${Math.max(minLength, BREAK_GLASS_MIN_REASON)} characters). Every approver sees this.`
        : `At least ${minLength} characters. Approvers see this.`,
    ),
  });
  const ticketRequired = selected?.ticket.required ?? false;
  blocks.push({
    type: "input",
    block_id: BLOCK.ticket,
    optional: !ticketRequired,
    label: plain("Ticket"),
    element: {
      type: "plain_text_input",
      action_id: VALUE,
      max_length: TEXT_LIMITS.ticket,
      placeholder: plain("e.g. OPS-1234"),
    },
    ...(selected?.ticket.pattern ? { hint: plain(truncate(`Format: ${selected.ticket.pattern}`, 2000)) } : {}),
  });
  return {
    type: "modal",
    callback_id: CALLBACK.requestModal,
    private_metadata: JSON.stringify({ extends: prefill.extendsRequestId ?? null }),
    title: plain(prefill.extendsRequestId ? "Extend access" : "Request access"),
    submit: plain(breakGlass ? "Next" : "Request"),
    close: plain("Cancel"),
    blocks,
  };
}

export function denyModal(requestId: string, context: { channel: string; ts: string }): View {
  return {
    type: "modal",
    callback_id: CALLBACK.denyModal,
    private_metadata: JSON.stringify({ requestId, ...context }),
    title: plain("Deny request"),
    submit: plain("Deny"),
    close: plain("Back"),
    blocks: [
      { type: "section", text: mrkdwn(`Denying *${requestId}*. The requester sees your reason.`) },
      {
        type: "input",
        block_id: BLOCK.reason,
        label: plain("Reason"),
        element: { type: "plain_text_input", action_id: VALUE, multiline: true, max_length: TEXT_LIMITS.denyReason },
      },
    ],
  };
}
