/** The controller-side checks a run starts with, also `twoway preflight`'s whole work. */
import { ftpPortsOf, prepareAddresses, usesFtp, type AddressedNode } from '../../controller/run/node-setup.js';
import { runPreflight, type PreflightItem } from '../../controller/run/preflight.js';
import type { RunOptions } from '../../controller/run/run.js';

/**
 * What preflight checks for these options: the listen addresses and ports the run will use, and the
 * nodes as sources; also the nodes as addressed, for the run to reuse.
 */
export async function preflightFor(options: RunOptions, openFirewall: boolean): Promise<{ items: PreflightItem[]; addressed: AddressedNode[] }> {
  const nodes = await prepareAddresses(options);
  const callbackAddresses = [...new Set(nodes.flatMap((n) => n.callbackAddresses))];
  const items = await runPreflight({
    listen: options.listen.length > 0 ? options.listen : callbackAddresses,
    ports: [options.httpPort, options.httpsPort, ...(nodes.some((n) => usesFtp(options, n.spec)) ? ftpPortsOf(options.ftp) : [])],
    callbackAddresses,
    sources: [...new Set(nodes.flatMap((n) => n.addresses))],
    openFirewall,
  });
  return { items, addressed: nodes };
}
