import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { parse } from "yaml";
import { repoRoot } from "./manifests.js";

type SlackManifest = {
  display_information: { name: string };
  features: {
    app_home: { home_tab_enabled: boolean; messages_tab_enabled: boolean };
    bot_user: { display_name: string };
    slash_commands: Array<{ command: string; url?: string; usage_hint?: string; description: string }>;
  };
  oauth_config: { scopes: { bot: string[]; user?: string[] } };
  settings: {
    event_subscriptions: { request_url?: string; bot_events: string[] };
    interactivity: { is_enabled: boolean; request_url?: string; message_menu_options_url?: string };
    socket_mode_enabled: boolean;
    org_deploy_enabled: boolean;
    token_rotation_enabled: boolean;
  };
};

// The Web API methods jitbot calls decide this list; add a scope here only with the call that needs it.
const EXPECTED_BOT_SCOPES = [
  "channels:read",
  "chat:write",
  "commands",
  "groups:read",
  "usergroups:read",
  "users:read",
  "users:read.email",
];

const load = (file: string) => parse(readFileSync(join(repoRoot, file), "utf8")) as SlackManifest;
const http = load("slack-app-manifest.yaml");
const socket = load("slack-app-manifest.socket-mode.yaml");

describe.each([
  ["slack-app-manifest.yaml", http],
  ["slack-app-manifest.socket-mode.yaml", socket],
])("%s", (_, manifest) => {
  it("asks for exactly the bot scopes the code uses, and no user scopes", () => {
    expect([...manifest.oauth_config.scopes.bot].sort()).toEqual(EXPECTED_BOT_SCOPES);
    expect(manifest.oauth_config.scopes.user).toBeUndefined();
  });

  it("has the /jit command, interactivity, the Home tab and its event", () => {
    expect(manifest.features.slash_commands.map((c) => c.command)).toEqual(["/jit"]);
    expect(manifest.features.slash_commands[0]?.usage_hint).toMatch(/request/);
    expect(manifest.settings.interactivity.is_enabled).toBe(true);
    expect(manifest.features.app_home).toMatchObject({ home_tab_enabled: true, messages_tab_enabled: true });
    expect(manifest.settings.event_subscriptions.bot_events).toEqual(["app_home_opened"]);
    expect(manifest.features.bot_user.display_name).toBe("jitbot");
  });

  it("is neither org-wide nor rotating tokens", () => {
    expect(manifest.settings).toMatchObject({ org_deploy_enabled: false, token_rotation_enabled: false });
  });
});

describe("HTTP mode", () => {
  it("sends the command, interactivity, profile searches and events to https://…/slack/events", () => {
    const urls = [
      http.features.slash_commands[0]?.url,
      http.settings.interactivity.request_url,
      // Past 100 profiles the form's profile field is an external_select: without an Options Load
      // URL Slack has nowhere to send its searches and the field stays empty. App manifest
      // reference: settings.interactivity.message_menu_options_url.
      http.settings.interactivity.message_menu_options_url,
      http.settings.event_subscriptions.request_url,
    ];
    for (const url of urls) expect(url).toMatch(/^https:\/\/[^/]+\/slack\/events$/);
    expect(http.settings.socket_mode_enabled).toBe(false);
  });
});

describe("Socket Mode", () => {
  it("enables socket mode and has no request URLs", () => {
    expect(socket.settings.socket_mode_enabled).toBe(true);
    expect(JSON.stringify(socket)).not.toMatch(/"(url|request_url|message_menu_options_url)"/);
  });

  it("differs from the HTTP manifest only in those settings", () => {
    const strip = (m: SlackManifest) =>
      JSON.parse(
        JSON.stringify(m, (key, value) =>
          ["url", "request_url", "message_menu_options_url", "socket_mode_enabled"].includes(key) ? undefined : value,
        ),
      );
    expect(strip(socket)).toEqual(strip(http));
  });
});
