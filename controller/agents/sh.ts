/**
 * The POSIX sh agent flavours (agent/sh/twoway-agent.sh): sh-curl, sh-wget and sh-tcp share one
 * script and differ in the client it drives. sh cannot parse JSON, so the plan goes in front of the
 * script as shell variable assignments, one line per probe. Plan values are controller-made, but
 * each is checked against what the script can carry safely (a probe line is split on spaces; ids and
 * addresses are written into JSON unescaped) and single-quoted all the same.
 */
import type { Plan, PlannedProbe } from '../../src/protocol.js';
import { SetupError } from '../../src/errors.js';
import { agentText } from './agent-text.js';
import { shellQuote } from './shell-quote.js';
import type { AgentFlavour, AgentFlavourModule } from './types.js';

/**
 * The script as sent after the plan: its protocol constants, then the script with comment lines,
 * indentation and blank lines dropped (no line inside its multi-line strings, the awk programs,
 * starts with "#" or depends on indentation).
 */
const shAgentText = agentText('sh/twoway-agent.sh', 'sh').text;

/** Ids and addresses go into JSON and into a space-separated probe line as they are. */
const WORD = /^[A-Za-z0-9._:%-]{1,255}$/;
const ID = /^[A-Za-z0-9._:-]{1,64}$/;
const HEX64 = /^[0-9a-f]{64}$/;
const BASE64 = /^[A-Za-z0-9+/]+={0,2}$/;
/** The token travels in a header: printable ASCII only. */
const HEADER_VALUE = /^[\x20-\x7e]+$/;

function checked(value: string, pattern: RegExp, field: string): string {
  if (!pattern.test(value)) throw new SetupError(`plan field ${field} ${JSON.stringify(value.slice(0, 80))} cannot be given to the sh agent (expected ${pattern.source})`);
  return value;
}

function count(value: number | undefined, field: string): string {
  if (value === undefined) return '-';
  if (!Number.isSafeInteger(value) || value < 0) throw new SetupError(`plan field ${field} is ${value}, expected a non-negative integer`);
  return String(value);
}

/** id kind proto address port source size sha256 posts intervalMs, '-' where absent. */
function probeLine(p: PlannedProbe, i: number): string {
  const where = `probes[${i}]`;
  return [
    checked(p.id, ID, `${where}.id`),
    p.kind,
    p.proto,
    checked(p.address, WORD, `${where}.address`),
    count(p.port, `${where}.port`),
    p.source === undefined ? '-' : checked(p.source, WORD, `${where}.source`),
    count(p.size, `${where}.size`),
    p.sha256 === undefined ? '-' : checked(p.sha256.toLowerCase(), HEX64, `${where}.sha256`),
    count(p.posts, `${where}.posts`),
    count(p.intervalMs, `${where}.intervalMs`),
  ].join(' ');
}

/** The plan as the assignments the script reads (TW_*), one per line. */
export function renderShPlan(plan: Plan, flavour: AgentFlavour): string {
  const { connectMs, stallMs, probeMs, totalMs } = plan.deadlines;
  const vars: Array<[string, string]> = [
    ['TW_FLAVOUR', flavour],
    ['TW_TOKEN', checked(plan.token, HEADER_VALUE, 'token')],
    ['TW_NODE_JSON', JSON.stringify(plan.node)],
    ['TW_SPKI', plan.spkiSha256Base64 === undefined ? '' : checked(plan.spkiSha256Base64, BASE64, 'spkiSha256Base64')],
    ['TW_CONNECT_MS', count(connectMs, 'deadlines.connectMs')],
    ['TW_STALL_MS', count(stallMs, 'deadlines.stallMs')],
    ['TW_PROBE_MS', count(probeMs, 'deadlines.probeMs')],
    ['TW_TOTAL_MS', count(totalMs, 'deadlines.totalMs')],
    ['TW_CONC', count(Math.max(1, plan.concurrency), 'concurrency')],
    ['TW_CONTROLLERS', plan.controllerAddresses.map((a, i) => checked(a, WORD, `controllerAddresses[${i}]`)).join(' ')],
    ['TW_PROBES', plan.probes.map(probeLine).join('\n')],
  ];
  return vars.map(([name, value]) => `${name}=${shellQuote(value)}\n`).join('');
}

/**
 * The userland the sh agent uses besides sh and its client: coreutils, sed, awk, grep and iproute2 on
 * a stock Linux, all busybox applets on ESXi. (The lab's single-runtime nodes get exactly these.)
 */
export const SH_AGENT_TOOLS = ['sed', 'awk', 'tr', 'cut', 'head', 'tee', 'wc', 'sha256sum', 'yes', 'grep', 'tail', 'uname', 'ip', 'date', 'sleep', 'timeout', 'cat'] as const;

/** What every sh flavour reports as 'unsupported'. */
const SH_CANNOT = ['the idle hold (no WebSocket client)', 'FTP callbacks'];

function shFlavour(flavour: 'sh-curl' | 'sh-wget' | 'sh-tcp', cannotMeasure: readonly string[]): AgentFlavourModule {
  return {
    flavour,
    script: (plan) => renderShPlan(plan, flavour) + shAgentText(),
    remoteCommand: 'sh -s',
    cannotMeasure: [...SH_CANNOT, ...cannotMeasure],
  };
}

/** curl: every probe, https pinned by the certificate's public key. */
export const shCurlAgent = shFlavour('sh-curl', ['the certificate fingerprint seen on a pin mismatch (curl does not print it)']);
/** GNU or busybox wget: http only (no pinning), no source binding with busybox. */
export const shWgetAgent = shFlavour('sh-wget', [
  'https probes (wget cannot pin the run certificate)',
  'source binding for dual-homed nodes, and stalled vs slow, with busybox wget',
  'uploads over 131,000 bytes with GNU wget (the body would need a file)',
]);
/** nc (detection requires it): TCP connects only. */
export const shTcpAgent = shFlavour('sh-tcp', ['everything past the TCP connect (downloads, uploads, status, TLS)']);
