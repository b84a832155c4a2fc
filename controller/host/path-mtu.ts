/**
 * The path MTU toward a node, measured from the controller: ICMP echoes with DF set (iputils
 * `ping -M do`), bisected by src/mtu-bisect.ts. Only the echo's answer counts: on an MTU
 * black hole the "fragmentation needed" error is exactly what gets dropped. ping is optional on a
 * real controller: without it the measurement says so and gives the command to run by hand.
 */
import { execFile } from 'node:child_process';
import { isIP } from 'node:net';
import type { PathMtuMeasurement } from '../../src/evidence.js';
import type { AgentEvent, AgentPathMtu } from '../../src/protocol.js';
import { bisectFinding, bisectPathMtu, DEFAULT_MTU_CEILING as DEFAULT_CEILING, dfEchoArgs, MAX_MTU_PROBES, MTU_FLOOR as FLOOR } from '../../src/mtu-bisect.js';
/** ping's own -W bounds the wait; this bounds a ping that hangs for another reason (name lookups are off). */
const PING_KILL_MS = 3_000;

/** A ping that could not be run at all (missing, not iputils, not permitted): the measurement stops. */
class PingUnavailable extends Error {}

function execText(file: string, args: readonly string[], signal: AbortSignal | undefined): Promise<{ code: number | string; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(file, args, { timeout: PING_KILL_MS, signal, encoding: 'utf8' }, (err, stdout, stderr) => {
      const code = err === null ? 0 : typeof (err as NodeJS.ErrnoException).code === 'string' ? (err as NodeJS.ErrnoException).code! : ((err as { code?: number }).code ?? 1);
      resolve({ code, stdout, stderr });
    });
  });
}

/** The ping arguments for one echo of `size` bytes of IP packet; also shown to the operator. */
export function pingArgs(address: string, size: number): string[] {
  return dfEchoArgs(address, isIP(address) === 6 ? 6 : 4, size);
}

/** The MTU of the interface the controller's route to `address` leaves by; 1500 when it cannot be read. */
async function interfaceMtu(address: string, signal: AbortSignal | undefined): Promise<number> {
  const route = await execText('ip', ['route', 'get', address], signal);
  const dev = /\bdev (\S+)/.exec(route.stdout)?.[1];
  if (route.code !== 0 || dev === undefined) return DEFAULT_CEILING;
  const link = await execText('ip', ['-o', 'link', 'show', 'dev', dev], signal);
  const mtu = Number(/\bmtu (\d+)/.exec(link.stdout)?.[1]);
  return link.code === 0 && Number.isInteger(mtu) && mtu >= 576 ? mtu : DEFAULT_CEILING;
}

async function echoPasses(address: string, size: number, signal: AbortSignal | undefined): Promise<boolean> {
  const { code, stderr } = await execText('ping', pingArgs(address, size), signal);
  if (code === 0) return true;
  // 1: no answer (or the kernel already knows a smaller path MTU and refuses: "message too long").
  if (code === 1) return false;
  if (code === 'ENOENT') throw new PingUnavailable('ping (iputils-ping) is not installed on the controller');
  if (signal?.aborted === true) throw new PingUnavailable('the run was interrupted');
  throw new PingUnavailable(`ping could not send a DF echo: ${stderr.trim().split('\n')[0] || `exit ${code}`}`);
}

/** Bisects the path MTU from the controller to `address`: at most MAX_MTU_PROBES echoes of up to a second each. */
export async function measurePathMtu(address: string, signal?: AbortSignal): Promise<PathMtuMeasurement> {
  const family = isIP(address) === 6 ? 6 : 4;
  const base = { from: 'controller' as const, to: address, command: `ping ${pingArgs(address, DEFAULT_CEILING).join(' ')}` };
  const ceiling = await interfaceMtu(address, signal);
  const probes: { size: number; ok: boolean }[] = [];
  try {
    const result = await bisectPathMtu(
      async (size) => {
        const ok = await echoPasses(address, size, signal);
        probes.push({ size, ok });
        return ok;
      },
      { floor: FLOOR[family], ceiling, maxProbes: MAX_MTU_PROBES },
    );
    return { ...base, interfaceMtu: ceiling, ...bisectFinding(result, FLOOR[family]) };
  } catch (err) {
    if (!(err instanceof PingUnavailable)) throw err;
    return { ...base, measured: false, interfaceMtu: ceiling, reason: err.message, probes };
  }
}

/** Measures toward each address at once (one bisection per node address, not per path). */
export function measurePathMtus(addresses: readonly string[], signal?: AbortSignal): Promise<PathMtuMeasurement[]> {
  return Promise.all([...new Set(addresses)].map((a) => measurePathMtu(a, signal)));
}

/**
 * The node's side: the agent's own bisection toward the controller address it called (an agent
 * `pathmtu` line), else said to be not measured, with why and the command to run on the node.
 */
export function fromNode(controllerAddress: string, events: readonly AgentEvent[]): PathMtuMeasurement {
  const reported = events.find((e): e is AgentPathMtu => e.t === 'pathmtu' && e.to === controllerAddress);
  if (reported !== undefined) {
    const { t: _t, ...measurement } = reported;
    return { from: 'node', ...measurement };
  }
  return {
    from: 'node',
    to: controllerAddress,
    measured: false,
    reason: 'this agent flavour does not bisect the path MTU from the node (the Node, Python and sh agents do where iputils ping is installed)',
    probes: [],
    command: `ping ${pingArgs(controllerAddress, DEFAULT_CEILING).join(' ')}`,
  };
}
