/**
 * The path MTU toward a controller address, from the node: iputils `ping -M do` echoes bisected by
 * src/mtu-bisect.ts (the controller's own side is controller/host/path-mtu.ts). Run only after a
 * transfer stalled, at most MAX_MTU_PROBES echoes of a second each, and cut by the agent deadline.
 * Without ping, or with a ping that cannot set DF (busybox), the line says why it was not measured.
 */
import * as childProcess from 'child_process';
import * as fs from 'fs';
import * as net from 'net';
import { EVENT_LIMITS } from '../../src/protocol.js';
import type { AgentPathMtu } from '../../src/protocol.js';
import { bisectFinding, bisectPathMtu, DEFAULT_MTU_CEILING, dfEchoArgs, MAX_MTU_PROBES, MTU_FLOOR } from '../../src/mtu-bisect.js';
import { track } from './open-handles.js';
import { clip } from './output.js';

/** ping's -W bounds the wait for an answer; this bounds a ping stuck for another reason. */
const PING_KILL_MS = 3000;
/** The largest IP packet: the ceiling of a bisection whatever the interface says. */
const MAX_IP_PACKET = 65535;

class PingUnavailable extends Error {}

/** The sending interface's MTU from sysfs (Linux); the Ethernet default elsewhere. */
function interfaceMtu(iface: string | undefined): number {
  if (iface === undefined || !/^[\w.@:-]+$/.test(iface)) return DEFAULT_MTU_CEILING;
  try {
    const mtu = Number(fs.readFileSync(`/sys/class/net/${iface}/mtu`, 'utf8').trim());
    // Loopback says 65536, one more than an IP packet can carry.
    return Number.isInteger(mtu) && mtu >= MTU_FLOOR[4] ? Math.min(mtu, MAX_IP_PACKET) : DEFAULT_MTU_CEILING;
  } catch {
    return DEFAULT_MTU_CEILING;
  }
}

/** Runs ping with `args`: its exit code (or spawn error code, e.g. ENOENT) and its output. Killed at the agent's end. */
function runPing(args: string[]): Promise<{ code: unknown; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    let untrack = (): void => undefined;
    const child = childProcess.execFile('ping', args, { timeout: PING_KILL_MS, encoding: 'utf8' }, (err, stdout, stderr) => {
      untrack();
      resolve({ code: err === null ? 0 : (err as { code?: unknown }).code, stdout: String(stdout), stderr: String(stderr) });
    });
    untrack = track(() => child.kill('SIGKILL'));
  });
}

const NOT_INSTALLED = 'ping (iputils-ping) is not installed on the node';

function echo(args: string[]): Promise<boolean> {
  return runPing(args).then(({ code, stderr }) => {
    if (code === 0) return true;
    // 1: no answer, or the kernel already knows a smaller path MTU ("message too long").
    if (code === 1) return false;
    if (code === 'ENOENT') throw new PingUnavailable(NOT_INSTALLED);
    const why = stderr.trim().split('\n')[0];
    throw new PingUnavailable(`ping on the node could not send a DF echo (iputils ping with -M do is needed): ${why === '' ? `exit ${String(code)}` : why}`);
  });
}

/**
 * Only iputils ping sets DF (-M do); busybox's rejects the option with the exit status of a lost
 * echo (1), which would read as "nothing answered". So the ping is asked what it is first.
 */
function checkIputils(): Promise<void> {
  return runPing(['-V']).then(({ code, stdout, stderr }) => {
    if (code === 'ENOENT') throw new PingUnavailable(NOT_INSTALLED);
    if (!/iputils/i.test(`${stdout} ${stderr}`)) throw new PingUnavailable('ping on the node is not iputils ping (busybox?): it cannot set DF (-M do)');
  });
}

export interface NodeMtuRun {
  readonly result: Promise<AgentPathMtu>;
  /** The agent deadline passed: the line for where the bisection stands (not measured). */
  expire(): AgentPathMtu;
}

export function measureFromNode(to: string, iface: string | undefined): NodeMtuRun {
  const family = net.isIP(to) === 6 ? 6 : 4;
  const ceiling = interfaceMtu(iface);
  const probes: { size: number; ok: boolean }[] = [];
  let expired = false;
  const line = (rest: Pick<AgentPathMtu, 'measured' | 'mtu' | 'below' | 'reason' | 'probes'>): AgentPathMtu => {
    const out: AgentPathMtu = { t: 'pathmtu', to: clip(to, EVENT_LIMITS.field), measured: rest.measured, interfaceMtu: ceiling, probes: rest.probes, command: `ping ${dfEchoArgs(to, family, DEFAULT_MTU_CEILING).join(' ')}` };
    if (rest.mtu !== undefined) out.mtu = rest.mtu;
    if (rest.below !== undefined) out.below = rest.below;
    if (rest.reason !== undefined) out.reason = clip(rest.reason, EVENT_LIMITS.errorMessage);
    return out;
  };
  const passes = (size: number): Promise<boolean> => {
    if (expired) return Promise.reject(new PingUnavailable('the agent deadline passed during the bisection'));
    return echo(dfEchoArgs(to, family, size)).then((ok) => {
      probes.push({ size, ok });
      return ok;
    });
  };
  const result = checkIputils()
    .then(() => bisectPathMtu(passes, { floor: MTU_FLOOR[family], ceiling, maxProbes: MAX_MTU_PROBES }))
    .then(
      (found) => line(bisectFinding(found, MTU_FLOOR[family])),
      (err: unknown) => {
        if (err instanceof PingUnavailable) return line({ measured: false, reason: err.message, probes });
        throw err;
      },
    );
  return {
    result,
    expire: () => {
      expired = true;
      return line({ measured: false, reason: `the agent deadline passed after ${probes.length} echoes`, probes: probes.slice() });
    },
  };
}
