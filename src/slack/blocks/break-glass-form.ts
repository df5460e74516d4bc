import { formatDuration } from "../../config/duration.js";
import type { Profile } from "../../config/schema.js";
import { escapeMrkdwn, truncate } from "../escape.js";
import { APPROVAL_MODE, BLOCK, BREAK_GLASS_MODE, CALLBACK, VALUE } from "../ids.js";
import { approverMentions, BREAK_GLASS_BADGE } from "./break-glass.js";
import { type Block, context, plain, section, type View } from "./kit.js";

/** What the confirmation view carries back to the bot: the request form's values, checked again. */
export interface BreakGlassDraft {
  profileId: string;
  durationSeconds: number;
  justification: string;
  ticket: string;
}

/**
 * The request form's choice between asking for approval and breaking glass, shown only for a
 * profile that allows it. It dispatches, so the duration list follows breakGlass.max.
 */
export function modeBlock(profile: Profile, breakGlass: boolean): Block {
  const glass = profile.breakGlass;
  const options = [
    {
      text: plain("Ask for approval"),
      value: APPROVAL_MODE,
      description: plain("The approvers decide; access starts once approved."),
    },
    {
      text: plain(`${BREAK_GLASS_BADGE} Break glass`),
      value: BREAK_GLASS_MODE,
      description: plain(
        truncate(
          `Access now. An approver must confirm within ${formatDuration(glass?.confirmWithin ?? 0)}, or it is revoked.`,
          75,
        ),
      ),
    },
  ];
  return {
    type: "input",
    block_id: BLOCK.mode,
    dispatch_action: true,
    label: plain("How"),
    element: {
      type: "radio_buttons",
      action_id: VALUE,
      options,
      initial_option: breakGlass ? options[1] : options[0],
    },
  };
}

/**
 * What a submit cannot ask by itself: a Block Kit `confirm` dialog belongs to interactive elements
 * (buttons, selects, radio buttons), never to a modal's submit button, so the request form answers
 * its submission with `response_action: "push"` and this view. Its own submit files the break glass;
 * Back returns to the form with everything typed.
 */
export function breakGlassConfirmView(profile: Profile, draft: BreakGlassDraft): View {
  const glass = profile.breakGlass;
  const within = formatDuration(glass?.confirmWithin ?? 0);
  return {
    type: "modal",
    callback_id: CALLBACK.breakGlassConfirm,
    private_metadata: breakGlassMetadata(draft),
    title: plain("Break glass?"),
    submit: plain("Break glass"),
    close: plain("Back"),
    blocks: [
      section(
        `${BREAK_GLASS_BADGE} *You are about to break glass on ${escapeMrkdwn(profile.title)} for ${formatDuration(draft.durationSeconds)}.*`,
      ),
      section(
        [
          "*What happens next*",
          "• Your access is granted *now*, without waiting for an approval.",
          `• Every approver is notified in <#${profile.approval.channel}> (${approverMentions(profile)}) and by direct message.`,
          `• One of them must *confirm* within ${within}. If nobody does, your access is *revoked at that moment*.`,
          "• An approver may revoke it at any time. The use is recorded in the audit log and in the weekly break-glass summary.",
        ].join("\n"),
      ),
      context(`Your reason, as approvers will see it: ${escapeMrkdwn(truncate(draft.justification, 500))}`),
    ],
  };
}

export function breakGlassMetadata(draft: BreakGlassDraft): string {
  return JSON.stringify({
    profile: draft.profileId,
    duration: draft.durationSeconds,
    justification: draft.justification,
    ticket: draft.ticket,
  });
}
