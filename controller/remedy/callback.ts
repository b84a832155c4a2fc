/**
 * Fixes for callbacks that never got through (blocked or rejected): the node's own egress firewall,
 * ESXi's outbound rules, moving the update manager to ports that pass, or a NIC whose traffic leaves
 * by another interface's route.
 */
import type { AlternateOutcome } from '../../src/evidence.js';
import type { ProfileHints } from '../../src/profiles.js';
import type { NodeReport, PathReport, Remedy } from '../../src/report.js';

export interface RemedyContext {
  httpPort: number;
  httpsPort: number;
  /** The node's profile's behaviour (which firewall the node has). */
  hints: ProfileHints;
}

/** The update manager's rule file for ESXi's firewall (README.md, "Profiles: the update manager's port tables"), one rule per callback port. */
export function esxiRuleFile(ports: readonly number[]): Remedy[] {
  const rules = ports.flatMap((port, i) => [
    `    <rule id='${String(i).padStart(4, '0')}'>`,
    '      <direction>outbound</direction>',
    '      <protocol>tcp</protocol>',
    '      <porttype>dst</porttype>',
    `      <port>${port}</port>`,
    '    </rule>',
  ]);
  return [
    {
      title: `If the node is VMware ESXi (outbound allows only 80/443 by default): a firewall rule file for ${ports.join(' and ')}`,
      where: '/etc/vmware/firewall/hpsum.xml on the ESXi host',
      lines: ['<ConfigRoot>', "  <service id='0150'>", '    <id>hpsum</id>', ...rules, '    <enabled>true</enabled>', '    <required>false</required>', '  </service>', '</ConfigRoot>'],
    },
    {
      title: 'Then load it (rule files are read at refresh; repeat after a reboot unless made persistent)',
      where: 'on the ESXi host',
      lines: ['esxcli network firewall refresh', 'esxcli network firewall ruleset list | grep hpsum'],
    },
  ];
}

/** Both forms of moving the update manager to the alternate ports that passed. */
export function portChange(http: number, https: number): Remedy[] {
  return [
    {
      title: `Ports ${http}/${https} pass where the callback ports do not: move the update manager there`,
      where: 'update manager command line (and `twoway run` to re-test)',
      lines: [`--port ${http} --ssl-port ${https}`],
    },
    { title: 'or in its configuration file', where: 'hpsum.ini', lines: [`port=${http}`, `ssl_port=${https}`] },
  ];
}

/** Lets the callback ports through a Linux host's own output firewall. */
function nodeEgress(controller: string, ports: readonly number[]): Remedy {
  const list = ports.join(',');
  return {
    title: 'If the node is Linux and its own firewall drops the callbacks (pick the tool it uses)',
    where: 'on the node',
    lines: [
      `iptables -I OUTPUT -p tcp -d ${controller} -m multiport --dports ${list} -j ACCEPT`,
      `nft insert rule inet filter output ip daddr ${controller} tcp dport { ${ports.join(', ')} } accept   # chain: the one that drops (nft -a list ruleset)`,
    ],
  };
}

/** A dual-homed node whose traffic from one address leaves by the other NIC's route. */
export function sourceRouting(address: string, workingNic: string | undefined): Remedy[] {
  return [
    {
      title: `Traffic from ${address} leaves by another interface's route and is dropped: give that address its own route out`,
      where: 'on the node',
      lines: [`ip rule add from ${address} lookup 100`, `ip route add default via <gateway on ${address}'s subnet> table 100`],
    },
    ...(workingNic === undefined
      ? []
      : [{ title: `or have the update manager reach this node by ${workingNic}, whose callbacks work`, where: 'update manager node list', lines: [workingNic] }]),
  ];
}

/** The alternate-port hellos that went with a failing callback path (its probe evidence keeps them). */
function alternatesOf(path: PathReport): AlternateOutcome[] {
  return path.evidence.kind === 'probe' ? (path.evidence.alternates ?? []) : [];
}

function alternatesPassed(paths: readonly PathReport[]): { http: number; https: number } | undefined {
  const alternates = paths.flatMap(alternatesOf);
  const http = alternates.find((a) => a.proto === 'http' && a.outcome === 'ok')?.port;
  const https = alternates.find((a) => a.proto === 'https' && a.outcome === 'ok')?.port;
  return http !== undefined && https !== undefined ? { http, https } : undefined;
}

export const unique = <T>(items: readonly T[]): T[] => [...new Set(items)];

/** Callbacks that never got through (blocked or rejected), from one source address. */
export function callbackFixes(node: NodeReport, source: string, paths: readonly PathReport[], ctx: RemedyContext): Remedy[] {
  const nic = node.nics?.find((n) => n.address === source);
  const working = node.nics?.find((n) => n.reaches.length > 0);
  // Another NIC of the same node gets through: the route from this address is the fault, not a firewall.
  if (nic !== undefined && working !== undefined && working.address !== source) return sourceRouting(source, working.address);
  const remedies: Remedy[] = [];
  const passed = alternatesPassed(paths);
  const dropped = paths.some((p) => p.verdict === 'blocked');
  // Callbacks dropped while 80/443 pass: the ESXi default, or any egress filter that allows web ports only.
  if (dropped && (passed !== undefined || ctx.hints.esxiFirewall)) remedies.push(...esxiRuleFile([ctx.httpPort, ctx.httpsPort]));
  if (passed !== undefined) remedies.push(...portChange(passed.http, passed.https));
  if (!ctx.hints.esxiFirewall) {
    for (const controller of unique(paths.map((p) => p.to))) remedies.push(nodeEgress(controller, unique(paths.filter((p) => p.to === controller).map((p) => p.port))));
  }
  return remedies;
}
