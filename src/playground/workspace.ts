import type { Policy } from "../config/schema.js";
import { requestables } from "../domain/bundle.js";
import {
  dmChannelOf,
  type FakeSlackWebApi,
  type FakeUser,
  type OpenedView,
  type PostedMessage,
} from "./slack-web-api.js";

/** Used when the policy has no `playground.users`: a requester, two approvers and an outsider. */
export const SAMPLE_PEOPLE: FakeUser[] = [
  { id: "U0ALICE", name: "Alice Requester", email: "alice@contoso.com", groups: ["S0SRE"] },
  { id: "U0LEAD", name: "Lee Lead", email: "lee@contoso.com", groups: ["S0ONCALL"] },
  { id: "U0OMAR", name: "Omar Oncall", email: "omar@contoso.com", groups: ["S0ONCALL", "S0SRE"] },
  { id: "U0EVE", name: "Eve Outsider", email: "eve@contoso.com", groups: [] },
];

/** Where people type when they are not in an approval channel. */
export const GENERAL_CHANNEL = { id: "C0GENERAL", name: "general" };

export function playgroundPeople(policy: Policy): FakeUser[] {
  return policy.playground?.users.map((u) => ({ ...u })) ?? SAMPLE_PEOPLE;
}

export interface Channel {
  id: string;
  name: string;
}

/** `C0APPROVALS` reads better as `#approvals`; real workspaces have names, the policy only ids. */
export function channelName(id: string): string {
  return id.replace(/^C0?/, "").toLowerCase() || id.toLowerCase();
}

export function playgroundChannels(policy: Policy): Channel[] {
  const ids = [...new Set(requestables(policy).map((p) => p.approval.channel))];
  return [
    GENERAL_CHANNEL,
    ...ids.filter((id) => id !== GENERAL_CHANNEL.id).map((id) => ({ id, name: channelName(id) })),
  ];
}

export interface Conversation extends Channel {
  kind: "channel" | "dm";
  messages: PostedMessage[];
}

export interface Snapshot {
  me: FakeUser;
  users: FakeUser[];
  conversations: Conversation[];
  modal: { id: string; hash: string; view: Record<string, unknown> } | undefined;
  home: Record<string, unknown> | undefined;
}

/**
 * What each persona sees. Slack keeps a stack of open modals per person; the fake Web API only
 * stores views, so this tracks which are open: views.open/push add one, a submission that Slack
 * would close (empty ack) or the Cancel button removes it.
 */
export class Workspace {
  private readonly stacks = new Map<string, string[]>();
  private readonly known = new Set<string>();

  constructor(
    readonly slack: FakeSlackWebApi,
    readonly people: FakeUser[],
    readonly channels: Channel[],
  ) {
    for (const channel of channels) slack.channelNames.set(channel.id, channel.name);
    slack.on("view", (opened: OpenedView) => {
      if (this.known.has(opened.id)) return;
      this.known.add(opened.id);
      this.stackOf(opened.userId).push(opened.id);
    });
  }

  person(id: string): FakeUser | undefined {
    return this.people.find((p) => p.id === id);
  }

  channel(id: string): Channel | undefined {
    if (id.startsWith("D")) {
      const owner = this.person(id.slice(1));
      return owner ? { id, name: `jitbot (${owner.name})` } : undefined;
    }
    return this.channels.find((c) => c.id === id);
  }

  /** The modal on top of a person's stack. */
  openModal(userId: string): OpenedView | undefined {
    const id = this.stackOf(userId).at(-1);
    return id ? this.slack.views.get(id) : undefined;
  }

  closeModal(userId: string, viewId: string, all = false): void {
    const stack = this.stackOf(userId);
    if (all) stack.length = 0;
    else
      this.stacks.set(
        userId,
        stack.filter((id) => id !== viewId),
      );
    this.slack.emit("closed", viewId);
  }

  message(channel: string, ts: string, viewer: string): PostedMessage | undefined {
    return this.visibleTo(viewer).find((m) => m.channel === channel && m.ts === ts);
  }

  /** An unknown or empty id gets the first person: the page then learns who it is from `me`. */
  snapshot(requested: string): Snapshot | undefined {
    const me = this.person(requested) ?? this.people[0];
    if (!me) return undefined;
    const userId = me.id;
    const visible = this.visibleTo(userId);
    const conversations: Conversation[] = [
      ...this.channels.map((c) => ({ ...c, kind: "channel" as const })),
      { id: dmChannelOf(userId), name: "jitbot", kind: "dm" as const },
    ].map((c) => ({ ...c, messages: visible.filter((m) => m.channel === c.id) }));
    const modal = this.openModal(userId);
    return {
      me,
      users: this.people,
      conversations,
      modal: modal && { id: modal.id, hash: modal.hash, view: modal.view },
      home: this.slack.homes.get(userId),
    };
  }

  private visibleTo(userId: string): PostedMessage[] {
    return this.slack.messages.filter((m) => !m.ephemeralFor || m.ephemeralFor === userId);
  }

  private stackOf(userId: string): string[] {
    let stack = this.stacks.get(userId);
    if (!stack) {
      stack = [];
      this.stacks.set(userId, stack);
    }
    return stack;
  }
}
