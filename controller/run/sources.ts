/**
 * The run's side of source binding (controller/wire/source-binding.ts): each node's inventory
 * addresses up front, the addresses its agent reports as they arrive, and afterwards each node's
 * share of the strays, the requests with its token that were refused from addresses not its own.
 */
import type { AgentEvent } from '../../src/protocol.js';
import type { NodeReport, StraySummary } from '../../src/report.js';
import { SourceBinding } from '../wire/source-binding.js';

export function sourceBindingFor(nodes: readonly { spec: { name: string }; addresses: readonly string[] }[]): SourceBinding {
  const binding = new SourceBinding();
  for (const n of nodes) binding.expect(n.spec.name, n.addresses);
  return binding;
}

/**
 * The node's own addresses in its agent's facts (interfaces and route sources); undefined for other
 * events. Loopback and link-local ones are every host's: the controller only sees those from a node
 * on its own host, and then the inventory names them.
 */
export function factsAddresses(event: AgentEvent): string[] | undefined {
  if (event.t !== 'facts') return undefined;
  const all = [...event.addresses.map((a) => a.address), ...event.routes.flatMap((r) => (r.source === undefined ? [] : [r.source]))];
  return all.filter((a) => !/^(127\.|::1$|fe80:|169\.254\.)/i.test(a));
}

/** Each node with the strays that carried its token (a replay from another host): evidence on that node, a warning. */
export function withTokenStrays(nodes: NodeReport[], strays: readonly StraySummary[]): NodeReport[] {
  return nodes.map((n) => {
    const own = strays.filter((s) => s.node === n.name);
    return own.length === 0 ? n : { ...n, tokenStrays: own };
  });
}
