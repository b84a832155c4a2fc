/**
 * A delay line for a lab link, in user space: kernels built without netem (and without fq, so no
 * EDT delay either) still get a real round trip. The link's two veths meet in a namespace of their
 * own (twl-w<N>), where a small Python program reads every frame from one end with an AF_PACKET
 * socket and writes it to the other end `delayMs` later, both ways (constant delay, so order is kept).
 * The ends that send into it have segmentation and checksum offload off (ethtool), so every frame it
 * reads is a whole, checksummed Ethernet frame of at most the link MTU.
 */
import { spawn } from 'node:child_process';
import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { LabError } from '../../src/errors.js';
import { NETNS_PREFIX } from './plan.js';
import { run, runIn } from './run.js';

/** The delay line's namespace for subnet N. */
export function wireNetns(n: number): string {
  return `${NETNS_PREFIX}w${n}`;
}

/** Its two interfaces: toward the router, toward the node. */
export const WIRE_ROUTER_SIDE = 'wr';
export const WIRE_NODE_SIDE = 'wn';

/** Frames held at most (like netem's limit): past it, new frames are dropped. */
const MAX_QUEUED = 20_000;
/** The delay line ends by itself after this long, like every loop in the lab: a week. */
const MAX_LIFETIME_S = 7 * 24 * 3600;

/**
 * The program. argv: iface-a iface-b delay-ms max-queued lifetime-s. Frames the socket sees leaving
 * (its own writes) are skipped. Ends when an interface goes away (the lab is torn down).
 */
export const DELAY_LINE_PY = `
import collections, select, socket, sys, time
ETH_P_ALL, PACKET_OUTGOING = 3, 4
a_name, b_name = sys.argv[1], sys.argv[2]
delay = float(sys.argv[3]) / 1000.0
max_queued, end = int(sys.argv[4]), time.monotonic() + float(sys.argv[5])
def opened(name):
    s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW, socket.htons(ETH_P_ALL))
    s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 8 << 20)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, 8 << 20)
    s.bind((name, 0))
    s.setblocking(False)
    return s
a, b = opened(a_name), opened(b_name)
queues = {a: collections.deque(), b: collections.deque()}
peer = {a: b, b: a}
open(sys.argv[6], 'w').write('ready\\n')
while time.monotonic() < end:
    heads = [q[0][0] for q in queues.values() if q]
    wait = max(0.0, min(heads) - time.monotonic()) if heads else 1.0
    readable, _, _ = select.select([a, b], [], [], wait)
    now = time.monotonic()
    for s in readable:
        for _ in range(1000):
            try:
                frame, addr = s.recvfrom(65535)
            except BlockingIOError:
                break
            if addr[2] == PACKET_OUTGOING:
                continue
            q = queues[s]
            if len(q) < max_queued:
                q.append((now + delay, frame))
    now = time.monotonic()
    for s, q in queues.items():
        out = peer[s]
        while q and q[0][0] <= now:
            frame = q.popleft()[1]
            try:
                out.send(frame)
            except BlockingIOError:
                q.appendleft((now, frame))
                break
            except OSError as e:
                if e.errno in (6, 19, 100):
                    sys.exit(0)
`;

/**
 * Builds the delay line between the router's interface `routerIface` (in `routerNs`) and the node's
 * `nodeIface` (in `nodeNs`), both veths created here, and starts it. Returns once it is forwarding.
 */
export async function buildDelayLine(
  n: number,
  link: { routerNs: string; routerIface: string; nodeNs: string; nodeIface: string; delayMs: number },
  stateDir: string,
): Promise<void> {
  const ns = wireNetns(n);
  await run('ip', ['netns', 'add', ns]);
  await run('ip', ['-n', link.routerNs, 'link', 'add', link.routerIface, 'type', 'veth', 'peer', 'name', WIRE_ROUTER_SIDE, 'netns', ns]);
  await run('ip', ['-n', ns, 'link', 'add', WIRE_NODE_SIDE, 'type', 'veth', 'peer', 'name', link.nodeIface, 'netns', link.nodeNs]);
  for (const iface of [WIRE_ROUTER_SIDE, WIRE_NODE_SIDE]) await run('ip', ['-n', ns, 'link', 'set', iface, 'up']);
  // Whole frames only: the senders into the line segment and checksum in software.
  await runIn(link.routerNs, 'ethtool', ['-K', link.routerIface, 'tso', 'off', 'gso', 'off', 'tx', 'off']);
  await runIn(link.nodeNs, 'ethtool', ['-K', link.nodeIface, 'tso', 'off', 'gso', 'off', 'tx', 'off']);
  for (const iface of [WIRE_ROUTER_SIDE, WIRE_NODE_SIDE]) await runIn(ns, 'ethtool', ['-K', iface, 'gro', 'off']);

  const script = join(stateDir, `delay-line-${n}.py`);
  const ready = join(stateDir, `delay-line-${n}.ready`);
  writeFileSync(script, DELAY_LINE_PY);
  const args = ['netns', 'exec', ns, 'python3', script, WIRE_ROUTER_SIDE, WIRE_NODE_SIDE, String(link.delayMs), String(MAX_QUEUED), String(MAX_LIFETIME_S), ready];
  // Detached: it lives as long as the lab; `lab down` ends every process in the lab's namespaces.
  const child = spawn('ip', args, { detached: true, stdio: 'ignore' });
  child.unref();
  const deadline = Date.now() + 5_000;
  while (!existsSync(ready)) {
    if (child.exitCode !== null || Date.now() > deadline) throw new LabError(`the delay line of subnet ${n} did not start (python3 ${script} in ${ns})`);
    await new Promise((r) => setTimeout(r, 50));
  }
}
