/**
 * The closed set of verdict kinds. Every kind has one entry in VERDICTS; the CLI, the renderers and
 * `twoway explain` all derive from this table, so adding a kind without its information is a type error.
 */

export const PATH_KINDS = [
  'ok',
  'closed',
  'service-down',
  'blocked',
  'rejected',
  'no-route',
  'return-path-lost',
  'mtu-blackhole',
  'stalled',
  'path-outage',
  'truncated',
  'idle-cut',
  'slow',
  'source-mismatch',
  'tls-intercepted',
  'tls-failed',
  'not-measured',
] as const;

export const NODE_KINDS = [
  'ssh-unreachable',
  'ssh-refused',
  'ssh-auth-failed',
  'ssh-hostkey-mismatch',
  'ssh-hostkey-unknown',
  'ssh-session-lost',
  'agent-no-runtime',
  'agent-failed',
  'agent-timeout',
] as const;

export type PathKind = (typeof PATH_KINDS)[number];
export type NodeKind = (typeof NODE_KINDS)[number];
export type VerdictKind = PathKind | NodeKind;

export const VERDICT_KINDS: readonly VerdictKind[] = [...PATH_KINDS, ...NODE_KINDS];

/** How bad a kind is: the node's verdict is its worst. 0 is fine. */
export type Severity = 0 | 1 | 2 | 3;

/**
 * What the operator does with a verdict: a fault needs a fix (and makes the run exit 1), a warning
 * deserves a look (a path that works but slowly, a question not measured), information is said and
 * needs nothing (a closed port the update manager only needs a path to). Classes follow severity:
 * ok and info 0, warning 1, fault 2-3 (test/src/verdicts.test.ts), so a node's worst severity is its
 * worst fault, else its worst warning, and information never colours a node.
 */
export const VERDICT_CLASSES = ['ok', 'info', 'warning', 'fault'] as const;
export type VerdictClass = (typeof VERDICT_CLASSES)[number];

export interface VerdictInfo {
  title: string;
  /** What it means, in one or two sentences. */
  explanation: string;
  /** What the verdict rests on. */
  evidence: string;
  /** What to change. */
  hint: string;
  severity: Severity;
  class: VerdictClass;
  /** Harness/SSH faults (errors in JUnit terms) as opposed to network faults (failures). */
  harness: boolean;
}

export const VERDICTS: { readonly [K in VerdictKind]: VerdictInfo } = {
  ok: {
    title: 'OK',
    explanation: 'Traffic flows both ways on this path.',
    evidence: 'Every planned probe completed, with the expected length and content (on a node whose session broke: every probe that reported; its evidence lists the probes not measured).',
    hint: 'Nothing to change.',
    severity: 0,
    class: 'ok',
    harness: false,
  },
  closed: {
    title: 'Closed (path works)',
    explanation:
      'The node itself answered the connection with a reset and its agent sees nothing listening on the port: the path works, no service runs there, and the update manager needs only the path on this port.',
    evidence: 'The connect was refused (ECONNREFUSED) and the node\'s listening sockets (reported by the agent) hold nothing on that port.',
    hint: 'Nothing to change; the port is reachable. A service is started there only when the update manager needs it.',
    severity: 0,
    class: 'info',
    harness: false,
  },
  'service-down': {
    title: 'Service down',
    explanation: 'The path reaches the node, but the service the update manager needs on this port is not running: the node answers with a reset.',
    evidence: 'The connect was refused (ECONNREFUSED), and the node\'s agent sees nothing listening on the port (or the node has no agent, so its own view was not measured).',
    hint: 'Start or enable the service on the node: the web interface (iLO/OA/VC: enable HTTPS/HTTP access), WBEM on ESXi (esxcli system wbem set --enable true; sfcbd), SMB on Windows (the LanmanServer service, "Server").',
    severity: 3,
    class: 'fault',
    harness: false,
  },
  blocked: {
    title: 'Blocked',
    explanation: 'Connections time out and the other side saw nothing: a firewall drops them on the way out, on the path, or on the way in.',
    evidence: 'The connect timed out and the listener ledger has no connection or request for the probe.',
    hint: 'Allow the port on the node\'s egress firewall, any firewall on the path, and the controller\'s ingress firewall. If every node fails the same port, look at the controller first.',
    severity: 3,
    class: 'fault',
    harness: false,
  },
  rejected: {
    title: 'Rejected',
    explanation:
      'A firewall refused the connection: a reset while the node\'s agent sees a service listening on the port, an ICMP reject from a firewall on the path, or (where the node\'s own view is missing) a reset from a REJECT rule, nothing listening, or the wrong host.',
    evidence: 'The connect failed with ECONNREFUSED/ECONNRESET while the node listens on the port, or with EHOSTUNREACH while the same address answers other ports (an ICMP administratively-prohibited reject).',
    hint: 'Check for a REJECT rule for the port, that the service listens on that address, and that the address is the intended host.',
    severity: 3,
    class: 'fault',
    harness: false,
  },
  'no-route': {
    title: 'No route',
    explanation: 'The host or network is unreachable, or the node has no route to that controller address.',
    evidence: 'EHOSTUNREACH/ENETUNREACH, or the node\'s route lookup for the address failed.',
    hint: 'Add a route on the node to the controller address (or use a controller address the node can reach with --callback-address).',
    severity: 3,
    class: 'fault',
    harness: false,
  },
  'return-path-lost': {
    title: 'Return path lost',
    explanation: 'The request reached the other side, but its answer never came back: the return traffic is dropped or routed elsewhere (asymmetric routing, rp_filter, a one-way firewall rule).',
    evidence: 'The listener ledger saw the request (or the SYN), the agent never got the answer.',
    hint: 'Check the route back from the controller to the node\'s source address, reverse-path filtering on routers, and firewall rules for the reply direction.',
    severity: 3,
    class: 'fault',
    harness: false,
  },
  'mtu-blackhole': {
    title: 'MTU black hole',
    explanation:
      'Small transfers pass and larger ones stop at a fixed offset: full-size packets are dropped on the path and the ICMP "fragmentation needed" that should shrink them never arrives.',
    evidence:
      'A hello or small transfer passed; a larger download or upload stopped arriving at a byte offset (in the evidence, with the largest size that passed and what the listener sent or received); retried once, the stalled size stalled again while smaller transfers passed; where it could be measured, the path MTU (from the controller, and from the node where its agent has iputils ping) is below the interface MTU.',
    hint: 'Allow ICMP fragmentation-needed (type 3 code 4) through every firewall on the path, or clamp the TCP MSS to the path MTU on the router, or lower the MTU on the node\'s interface.',
    severity: 3,
    class: 'fault',
    harness: false,
  },
  stalled: {
    title: 'Stalled',
    explanation: 'A transfer started and then stopped arriving at a byte offset, with nothing smaller to show that size is the cause.',
    evidence: 'Bytes stopped arriving for longer than the stall deadline; the offset is in the evidence.',
    hint: 'Look at what sits on the path (proxy, IPS, load balancer) and at its logs for this connection; compare with the transfer ladder of other nodes.',
    severity: 3,
    class: 'fault',
    harness: false,
  },
  'path-outage': {
    title: 'Path outage',
    explanation:
      'Transfers stopped arriving, but not because of their size: the path stopped carrying traffic for a while and came back (a link flap, a failover, a reboot on the way). It is not an MTU black hole.',
    evidence:
      'The stalled size passed when the agent retried it once (with no path MTU measured below the interface MTU), or transfers stalled while a larger one on the same path passed, or an echo of full size crossed the path after the stall; the probes that passed after it are listed.',
    hint: 'Transient: rerun the test for this node; if it recurs, look for link flaps and failovers on the path (interface counters, switch and router logs).',
    severity: 1,
    class: 'warning',
    harness: false,
  },
  truncated: {
    title: 'Truncated',
    explanation: 'The connection closed before the whole response arrived.',
    evidence: 'The body was shorter than announced when the connection closed.',
    hint: 'Look for a proxy or firewall that cuts connections, or a size limit on the path.',
    severity: 3,
    class: 'fault',
    harness: false,
  },
  'idle-cut': {
    title: 'Cut when idle',
    explanation:
      'A long-lived connection stopped carrying traffic after a quiet spell: a stateful firewall or NAT on the path forgot the flow. Long firmware flashes leave the update manager\'s connections idle like this.',
    evidence: 'The idle-hold channel worked when opened; after the quiet time the listener\'s push, the answer to the agent\'s ping, or both never arrived (or the connection was reset).',
    hint: 'Raise the idle (TCP established) timeout of the firewall or NAT on the path above the longest flash, or exempt the callback ports from it.',
    severity: 3,
    class: 'fault',
    harness: false,
  },
  slow: {
    title: 'Slow',
    explanation: 'Transfers complete, but the path is worse than a firmware update needs: too little throughput either way, too long a round trip, or too much loss.',
    evidence: 'A measured figure past its threshold: download or upload throughput (--min-mbps, --min-upload-mbps), the round trip from the TCP handshake on both sides (--max-rtt), or the controller\'s retransmissions (--max-loss); with the firmware and status-update estimates.',
    hint: 'Check for rate limits, loss or a congested link on the path.',
    severity: 1,
    class: 'warning',
    harness: false,
  },
  'source-mismatch': {
    title: 'Source mismatch',
    explanation: 'The controller saw another source address than the node\'s own: NAT on the path, or the traffic left by another interface.',
    evidence: 'The hello answer names a source address that is not the one the node\'s route uses.',
    hint: 'Update managers that match nodes by address will not recognise these callbacks: remove the NAT for this traffic, or route the callbacks out of the interface the manager knows.',
    severity: 2,
    class: 'fault',
    harness: false,
  },
  'tls-intercepted': {
    title: 'TLS intercepted',
    explanation: 'The HTTPS connection completed with a certificate other than the controller\'s: a TLS-inspecting proxy or firewall sits on the path.',
    evidence: 'The SHA-256 fingerprint the agent saw differs from the pinned one.',
    hint: 'Exempt the controller address and HTTPS port from TLS inspection.',
    severity: 3,
    class: 'fault',
    harness: false,
  },
  'tls-failed': {
    title: 'TLS failed',
    explanation: 'TCP reaches the HTTPS port but the TLS handshake does not complete.',
    evidence: 'The TCP connect succeeded and the TLS handshake failed or timed out.',
    hint: 'Look for a device on the path that filters TLS, or a protocol mismatch on the port.',
    severity: 3,
    class: 'fault',
    harness: false,
  },
  'not-measured': {
    title: 'Not measured',
    explanation: 'This path could not be tested, because an earlier step failed or the agent cannot measure it.',
    evidence: 'No probe result for this path, or the agent said it cannot measure it (evidence.unsupported, with the reason).',
    hint: 'Fix the node-level problem first (see the node verdict); where the agent flavour cannot measure it, force one that can (runtime: node or python; see "twoway agents").',
    severity: 1,
    class: 'warning',
    harness: true,
  },
  'ssh-unreachable': {
    title: 'SSH unreachable',
    explanation: 'The SSH connection to the node timed out or the host is unreachable.',
    evidence: 'ssh reported a connect timeout, no route to host, or an unresolvable name.',
    hint: 'Check that the address is right and that port 22 (or the configured port) is open from the controller.',
    severity: 3,
    class: 'fault',
    harness: true,
  },
  'ssh-refused': {
    title: 'SSH refused',
    explanation: 'The node answered, but nothing accepts SSH connections on that port.',
    evidence: 'ssh reported "Connection refused".',
    hint: 'Start sshd on the node, or give the right port (port: in the inventory).',
    severity: 3,
    class: 'fault',
    harness: true,
  },
  'ssh-auth-failed': {
    title: 'SSH authentication failed',
    explanation: 'sshd rejected every key or method offered.',
    evidence: 'ssh reported "Permission denied".',
    hint: 'Check the user and key (user:, key: in the inventory) and that the key is in the node\'s authorized_keys.',
    severity: 3,
    class: 'fault',
    harness: true,
  },
  'ssh-hostkey-mismatch': {
    title: 'SSH host key changed',
    explanation: 'The node presented a host key other than the known one: the host was reinstalled, or something intercepts SSH.',
    evidence: 'ssh reported "Host key verification failed" with a changed host key.',
    hint: 'Verify the new key out of band, then remove the old entry with ssh-keygen -R HOST.',
    severity: 3,
    class: 'fault',
    harness: true,
  },
  'ssh-hostkey-unknown': {
    title: 'SSH host key unknown',
    explanation: 'The node\'s host key is not in known_hosts, and host keys are checked strictly.',
    evidence: 'ssh reported "Host key verification failed" with no known key.',
    hint: 'Add the key to known_hosts (ssh-keyscan, verified out of band), or pass --accept-new-hostkeys to trust keys on first use.',
    severity: 3,
    class: 'fault',
    harness: true,
  },
  'ssh-session-lost': {
    title: 'SSH session lost',
    explanation:
      'The SSH session broke while the agent was working: the connection to the node went away mid-run (its link or the path went down, the node rebooted, or something on the path dropped the session). What arrived before the break is kept; the rest is not measured.',
    evidence:
      'After the agent had started, ssh ended with status 255 and a lost-connection message (server not responding, connection reset or closed) before the agent\'s "done"; the evidence says when the last line arrived, which it was, and how many probe results came before the break.',
    hint: 'Check that the node stayed up and its link is stable (uptime, interface errors, the switch port) and that nothing on the path drops long SSH sessions; then run again. Paths measured before the break keep their verdicts.',
    severity: 3,
    class: 'fault',
    harness: true,
  },
  'agent-no-runtime': {
    title: 'No agent runtime',
    explanation: 'SSH works, but the node has no runtime the agent needs on its PATH.',
    evidence: 'The runtime detection found none of the runtimes an agent flavour needs, or not the one asked for (runtime: / --runtime).',
    hint: 'Make node (12 or later), python3 (3.6 or later), curl or wget available on the PATH of non-interactive SSH sessions, or ask for a runtime the node has (runtime: in the inventory, --runtime).',
    severity: 3,
    class: 'fault',
    harness: true,
  },
  'agent-failed': {
    title: 'Agent failed',
    explanation: 'The agent started but ended with an error or with invalid output.',
    evidence: 'The agent exit status, its last error, or the output line that failed validation.',
    hint: 'The reason is shown with the verdict (the output line that failed validation, or the agent\'s own error); run with --verbose to see the whole stderr of each SSH session.',
    severity: 3,
    class: 'fault',
    harness: true,
  },
  'agent-timeout': {
    title: 'Agent timed out',
    explanation: 'The agent did not finish within its deadline and was stopped.',
    evidence: 'No "done" line before the deadline.',
    hint: 'Raise --agent-timeout, or look at the paths it did report: they show where it hung.',
    severity: 3,
    class: 'fault',
    harness: true,
  },
};

/** A fault or a warning: something to look at. Information (a closed path-only port) is not. */
export function isFailure(kind: VerdictKind): boolean {
  return VERDICTS[kind].severity > 0;
}

/** A fault: something to fix; the run exits 1 when any verdict is one. */
export function isFault(kind: VerdictKind): boolean {
  return VERDICTS[kind].class === 'fault';
}

/** The worse of two kinds; on a tie the first wins, so the order of evidence is kept. */
export function worse(a: VerdictKind, b: VerdictKind): VerdictKind {
  return VERDICTS[b].severity > VERDICTS[a].severity ? b : a;
}
