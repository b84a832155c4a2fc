/**
 * Fixes for a size limit on the path (mtu-blackhole) and for a transient outage (path-outage). The
 * MTU figure in every line is the one measured on this run (controller/host/path-mtu.ts); where none
 * was, the lines say so and the operator gets the bisection to run by hand: never a constant that
 * reads like a measurement.
 */
import { isIP } from 'node:net';
import type { OutageEvidence, PathMtuMeasurement, SizeBoundaryEvidence } from '../../src/evidence.js';
import { limitsBelowInterface, mtuFigure } from '../../src/path-mtu.js';
import type { Remedy } from '../../src/report.js';
import { sizeLabel } from '../../src/size-label.js';

/** IPv4 and TCP headers without options: the MSS a path MTU allows is the MTU less these. */
const IPV4_TCP_HEADERS = 40;
const IPV6_TCP_HEADERS = 60;

/** The smallest exact path MTU measured below an interface's MTU: the figure the fixes use. */
function measuredLimit(pathMtu: readonly PathMtuMeasurement[] | undefined): PathMtuMeasurement | undefined {
  return limitsBelowInterface(pathMtu ?? [])
    .filter((m) => m.below === undefined)
    .sort((a, b) => (a.mtu ?? 0) - (b.mtu ?? 0))[0];
}

/**
 * A shell bisection of the path MTU toward `address` with DF-set echoes (iputils ping): the payload
 * sizes start at a size every path carries and one above a 1500-byte Ethernet frame.
 */
export function pingBisection(address: string): string {
  const v6 = isIP(address) === 6;
  const headers = v6 ? 48 : 28;
  const lo = (v6 ? 1280 : 576) - headers;
  return (
    `lo=${lo}; hi=${1501 - headers}; while [ $((hi - lo)) -gt 1 ]; do mid=$(((lo + hi) / 2)); ` +
    `if ping ${v6 ? '-6 ' : ''}-n -M do -s $mid -c 1 -W 1 ${address} >/dev/null 2>&1; then lo=$mid; else hi=$mid; fi; done; echo "path MTU: $((lo + ${headers}))"`
  );
}

/** Small answers pass, full-size packets vanish: the path MTU is smaller and its ICMP never arrives. */
export function mtuFixes(boundary: SizeBoundaryEvidence, nodeAddress: string): Remedy[] {
  const passing = boundary.largestPassingDownload === undefined ? 'only small answers' : sizeLabel(boundary.largestPassingDownload);
  const seen = `largest download that passed: ${passing}; the stall came at byte ${boundary.stallAt}`;
  const limit = measuredLimit(boundary.pathMtu);
  const clampToRoute = [
    'iptables -t mangle -A FORWARD -p tcp --tcp-flags SYN,RST SYN -j TCPMSS --clamp-mss-to-pmtu',
    'nft add rule inet filter forward tcp flags syn tcp option maxseg size set rt mtu',
  ];
  const fragNeeded = [
    'iptables -I FORWARD -p icmp --icmp-type fragmentation-needed -j ACCEPT',
    'iptables -I INPUT -p icmp --icmp-type fragmentation-needed -j ACCEPT',
    'nft insert rule inet filter forward icmp type destination-unreachable icmp code frag-needed accept',
  ];
  if (limit?.mtu !== undefined) {
    const mtu = limit.mtu;
    const others = (boundary.pathMtu ?? []).filter((m) => m !== limit).map(sideFigure);
    const how = `measured from the ${limit.from} to ${limit.to} with DF-set ICMP echoes${others.length === 0 ? '' : `; ${others.join('; ')}`}`;
    const mss = mtu - (isIP(limit.to) === 6 ? IPV6_TCP_HEADERS : IPV4_TCP_HEADERS);
    return [
      {
        title: `Let "fragmentation needed" through: the path MTU is ${mtu} (${how}), below the interface's ${limit.interfaceMtu}, so larger packets need that ICMP to shrink (${seen})`,
        where: 'on every firewall and router between node and controller',
        lines: fragNeeded,
      },
      {
        title: `or clamp the TCP MSS: to the route MTU on the router with the small link, or to ${mss} (the path MTU ${mtu} less the IP and TCP headers) on any other router`,
        where: 'on the router',
        lines: [
          ...clampToRoute,
          `iptables -t mangle -A FORWARD -p tcp --tcp-flags SYN,RST SYN -j TCPMSS --set-mss ${mss}   # path MTU ${mtu}, measured`,
          `nft add rule inet filter forward tcp flags syn tcp option maxseg size set ${mss}   # path MTU ${mtu}, measured`,
        ],
      },
      { title: `or lower the MTU on the node to the path MTU (${mtu}, ${how})`, where: 'on the node', lines: [`ip link set dev <iface> mtu ${mtu}   # the path MTU, measured`] },
    ];
  }
  const why = notMeasuredReason(boundary.pathMtu);
  return [
    { title: `Let "fragmentation needed" through (${seen}; the path MTU was not measured: ${why})`, where: 'on every firewall and router between node and controller', lines: fragNeeded },
    {
      title: 'or clamp the TCP MSS to the route MTU on the router with the small link (elsewhere: to the path MTU less 40, once measured)',
      where: 'on the router',
      lines: clampToRoute,
    },
    {
      title: `or lower the MTU on the node to the path MTU, once measured (not measured on this run: ${why})`,
      where: 'on the node',
      lines: ['ip link set dev <iface> mtu <path MTU>   # not measured: run the bisection below first'],
    },
    {
      title: 'Measure the path MTU by hand: DF-set echoes, bisected (iputils ping; the last size answered plus the headers)',
      where: 'on the controller (toward the node; from the node, use the controller address)',
      lines: [pingBisection(nodeAddress)],
    },
  ];
}

/** One side's measurement in a fix title: its figure, or why there is none. */
function sideFigure(m: PathMtuMeasurement): string {
  return m.measured ? `from the ${m.from} to ${m.to}: ${mtuFigure(m)}` : `from the ${m.from}: not measured (${m.reason ?? 'no reason given'})`;
}

function notMeasuredReason(pathMtu: readonly PathMtuMeasurement[] | undefined): string {
  if (pathMtu === undefined || pathMtu.length === 0) return 'no measurement on this run';
  const partial = pathMtu.find((m) => m.measured && m.below !== undefined);
  if (partial !== undefined) return `the bisection ran out of echoes at ${mtuFigure(partial)}`;
  const full = pathMtu.find((m) => m.measured && m.mtu === m.interfaceMtu);
  if (full !== undefined) return `echoes of the full ${full.mtu} bytes passed, so the limit is not on ICMP`;
  return pathMtu.map((m) => m.reason ?? 'no reason given').join('; ');
}

/** The path stopped and came back mid-run: nothing to change yet, rerun and look for flaps. */
export function outageFixes(outage: OutageEvidence, nodeName: string): Remedy {
  return {
    title: `Transient outage (stalled at byte ${outage.stallAt}; ${outage.passedAfter.length} probe${outage.passedAfter.length === 1 ? '' : 's'} passed after it): rerun this node, and look for link flaps if it recurs`,
    where: 'on the controller, then on the node and the switches/routers between',
    lines: [`twoway run <same options> --limit ${nodeName}`, 'ip -s link show   # on the node: carrier changes and errors per interface', 'journalctl -k --since -1h | grep -i "link is"   # on the node: link down/up'],
  };
}
