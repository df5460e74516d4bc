import type { WebClient } from "@slack/web-api";
import type { Clock } from "../domain/clock.js";
import type { Directory, Member } from "../service/ports.js";

const TTL_MS = 60_000;

/** People and user groups from Slack, cached for a minute so clicks stay fast. */
export class SlackDirectory implements Directory {
  private readonly members = new Map<string, { at: number; member: Member }>();
  private readonly groups = new Map<string, { at: number; users: Set<string> }>();

  constructor(
    private readonly client: WebClient,
    private readonly clock: Clock,
  ) {}

  async member(userId: string): Promise<Member> {
    const now = this.clock.now().getTime();
    const cached = this.members.get(userId);
    if (cached && now - cached.at < TTL_MS) return cached.member;
    const answer = await this.client.users.info({ user: userId });
    const user = answer.user;
    const member: Member = {
      id: userId,
      name: user?.profile?.real_name || user?.real_name || user?.name || userId,
      email: user?.profile?.email || undefined,
    };
    this.members.set(userId, { at: now, member });
    return member;
  }

  async groupsOf(userId: string, groups: readonly string[]): Promise<string[]> {
    const found: string[] = [];
    for (const group of groups) {
      if ((await this.usersOf(group)).has(userId)) found.push(group);
    }
    return found;
  }

  async membersOf(group: string): Promise<string[]> {
    return [...(await this.usersOf(group))];
  }

  private async usersOf(group: string): Promise<Set<string>> {
    const now = this.clock.now().getTime();
    const cached = this.groups.get(group);
    if (cached && now - cached.at < TTL_MS) return cached.users;
    const answer = await this.client.usergroups.users.list({ usergroup: group });
    const users = new Set(answer.users ?? []);
    this.groups.set(group, { at: now, users });
    return users;
  }
}
