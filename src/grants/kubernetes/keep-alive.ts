import { Agent } from "node:https";
import { KubeConfig, type RequestContext } from "@kubernetes/client-node";

/**
 * client-node 1.4 builds a new https.Agent for every request (KubeConfig.applySecurityAuthentication
 * → createAgent), so every call pays a fresh TCP and TLS handshake; agent reuse only arrived in 2.x,
 * which needs Node 22. This KubeConfig keeps one keep-alive agent, made from the TLS options of the
 * first request's agent (the cluster's CA, nothing else): measured on the fake API server, it is
 * what lets a burst of revokes keep up (bench "effective revocation lag"). Node's agent unrefs an
 * idle kept socket, so it never holds the process open at shutdown.
 */
export class KeepAliveKubeConfig extends KubeConfig {
  private agent: Agent | undefined;

  override async applySecurityAuthentication(context: RequestContext): Promise<void> {
    await super.applySecurityAuthentication(context);
    const fresh = context.getAgent();
    if (!(fresh instanceof Agent)) return; // a proxy agent: left as client-node made it
    this.agent ??= new Agent({ ...fresh.options, keepAlive: true, maxSockets: 32 });
    fresh.destroy();
    context.setAgent(this.agent);
  }
}
