/**
 * The path MTU toward a node, measured from the controller: ICMP echoes with DF set (iputils
 * `ping -M do`), bisected by controller/host/mtu-bisect.ts. Only the echo's answer counts: on an MTU
 * black hole the "fragmentation needed" error is exactly what gets dropped. ping is optional on a
 * real controller: without it the measurement says so and gives the command to run by hand.
 */
import { execFile } from 'node:child_process';
import { isIP } from 'node:net';
import type { PathMtuMeasurement } from '../../src/evidence.js';
import { bisectPathMtu } from './mtu-bisect.js';

/** IP and ICMP headers on top of the echo payload. */
const HEADERS = { 4: 28, 6: 48 } as const;
/** Sizes every working path carries: IPv4's minimum reassembly size and IPv6's minimum MTU. */
const FLOOR = { 4: 576, 6: 1280 } as const;
const DEFAULT_CEILING = 1500;
export const MAX_MTU_PROBES = 12;
const ECHO_WAIT_SEC = 1;
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
  const family = isIP(address) === 6 ? 6 : 4;
  return [...(family === 6 ? ['-6'] : []), '-n', '-M', 'do', '-s', String(size - HEADERS[family]), '-c', '1', '-W', String(ECHO_WAIT_SEC), address];
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
    switch (result.kind) {
      case 'exact':
        return { ...base, measured: true, mtu: result.mtu, interfaceMtu: ceiling, probes: result.probes };
      case 'range':
        return { ...base, measured: true, mtu: result.atLeast, below: result.below, interfaceMtu: ceiling, probes: result.probes };
      case 'no-answer':
        return { ...base, measured: false, interfaceMtu: ceiling, reason: `no echo of even ${FLOOR[family]} bytes was answered: ICMP echo is filtered on the way, or the path was down`, probes: result.probes };
    }
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
 * The node's side, which no agent flavour measures yet: said as such, with the command to run on the
 * node toward the controller address it called.
 */
export function notMeasuredFromNode(controllerAddress: string): PathMtuMeasurement {
  return {
    from: 'node',
    to: controllerAddress,
    measured: false,
    reason: 'the agents do not bisect the path MTU from the node yet',
    probes: [],
    command: `ping ${pingArgs(controllerAddress, DEFAULT_CEILING).join(' ')}`,
  };
}
