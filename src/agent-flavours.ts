/**
 * The names of the agent flavours (README.md, "Nodes without Node.js: agent flavours"): shared by
 * the inventory (`runtime:`), the CLI (`--runtime`) and the controller's flavour modules
 * (controller/agents/).
 */
export const AGENT_FLAVOURS = ['node', 'python', 'sh-curl', 'sh-wget', 'sh-tcp', 'powershell'] as const;
export type AgentFlavour = (typeof AGENT_FLAVOURS)[number];

export function isAgentFlavour(text: string): text is AgentFlavour {
  return (AGENT_FLAVOURS as readonly string[]).includes(text);
}
