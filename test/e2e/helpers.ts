// The Slack flow the end-to-end tests share lives with the other test support.
export { requestAndApprove } from "../support/flow.js";
