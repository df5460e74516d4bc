import type { IncomingMessage, ServerResponse } from "node:http";
import { sendPage, sendRedirect } from "./pages.js";
import type { StepUpService } from "./service.js";
import { STEP_UP_CALLBACK_PATH, STEP_UP_START_PATH } from "./settings.js";

export interface PageRoute {
  path: string;
  handler: (req: IncomingMessage, res: ServerResponse) => Promise<void>;
}

function queryOf(req: IncomingMessage): URLSearchParams {
  return new URL(req.url ?? "/", "http://localhost").searchParams;
}

/** The two GET paths an approver's browser visits: the link from Slack, and Entra's redirect back. */
export function stepUpRoutes(stepUp: () => StepUpService | undefined): PageRoute[] {
  return [
    {
      path: STEP_UP_START_PATH,
      handler: async (req, res) => {
        const answer = await stepUp()?.start(queryOf(req).get("state"));
        if (!answer)
          return sendPage(res, {
            status: 404,
            title: "Not found",
            sentence: "Step-up sign-in is not set up on this jitbot.",
          });
        if ("redirect" in answer) return sendRedirect(res, answer.redirect);
        sendPage(res, answer);
      },
    },
    {
      path: STEP_UP_CALLBACK_PATH,
      handler: async (req, res) => {
        // Taking a state is the one thing a visit here does, so a HEAD (a link checker) must not.
        if (req.method !== "GET") {
          res.writeHead(405, { allow: "GET", "content-length": 0 });
          return void res.end();
        }
        const answer = await stepUp()?.finish(queryOf(req));
        sendPage(
          res,
          answer ?? { status: 404, title: "Not found", sentence: "Step-up sign-in is not set up on this jitbot." },
        );
      },
    },
  ];
}
