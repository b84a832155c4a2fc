/**
 * Picking the agent flavour inside the node's one SSH session. The remote command is a small POSIX
 * sh snippet: it prints one JSON line naming the runtimes on the session's PATH, then reads one line
 * from stdin naming the flavour the controller chose and execs that interpreter on the rest of
 * stdin (`read` on a pipe takes bytes up to the newline only, so the script stays for the
 * interpreter). The controller's side is pure: parse the line, choose.
 */
import type { AgentFlavour, AgentFlavourModule } from './types.js';
import { FLAVOUR_PREFERENCE } from './index.js';

export interface DetectedRuntimes {
  /** node that is at least NODE_AGENT_MIN_MAJOR (the bundle's target). */
  node: boolean;
  /** What `node -v` printed when node is on the PATH, old or not (for messages). */
  nodeVersion?: string;
  /** python3 that is at least 3.6 (false too when not looked for: see detectionCommand). */
  python3: boolean;
  curl: boolean;
  wget: 'gnu' | 'busybox' | false;
  nc: boolean;
}

/** The oldest Node the reference agent runs on (scripts/build-agent.mjs targets node12; agent/src uses Node 12 APIs only). */
export const NODE_AGENT_MIN_MAJOR = 12;

interface Requirement {
  /** What the node must offer, for messages. */
  needs: string;
  /** The same, as an sh test on the snippet's variables. */
  shTest: string;
  has(r: DetectedRuntimes): boolean;
}

/**
 * What each flavour needs on the node. sh-tcp needs nc (its connect checks); PowerShell is
 * never found by the sh snippet.
 */
export const REQUIREMENTS: Readonly<Record<AgentFlavour, Requirement>> = {
  node: { needs: `node >= ${NODE_AGENT_MIN_MAJOR}`, shTest: '[ "$tw_node" = true ]', has: (r) => r.node },
  python: { needs: 'python3 >= 3.6', shTest: '[ "$tw_python3" = true ]', has: (r) => r.python3 },
  'sh-curl': { needs: 'curl', shTest: '[ "$tw_curl" = true ]', has: (r) => r.curl },
  'sh-wget': { needs: 'wget', shTest: '[ "$tw_wget" != none ]', has: (r) => r.wget !== false },
  'sh-tcp': { needs: 'nc', shTest: '[ "$tw_nc" = true ]', has: (r) => r.nc },
  powershell: { needs: 'powershell', shTest: 'false', has: () => false },
};

/** The first stdout line of the snippet, so it cannot be taken for an agent event. */
export const RUNTIMES_LINE_TYPE = 'runtimes';

/** Longest `node -v` answer passed on; anything longer, or not like "v12.22.12", is sent as "unknown". */
const MAX_NODE_VERSION = 32;

/** sh case patterns for the `node -v` answers older than NODE_AGENT_MIN_MAJOR: v0|v0.*|...|v11|v11.* */
function nodeTooOld(): string {
  return Array.from({ length: NODE_AGENT_MIN_MAJOR }, (_, major) => `v${major}|v${major}.*`).join('|');
}

/** Exit status of the snippet when no registered flavour can run (classified agent-no-runtime). */
export const NO_RUNTIME_EXIT = 127;

/**
 * The snippet for the flavours in `modules` (each one's remoteCommand is exec'd as it stands).
 * Builtins only, except `node -v` and one `python3 -c` for their versions and `wget --help` for its
 * kind. Node's version is told apart by its major number in sh, and what `node -v` printed is passed
 * on (only when it looks like a version, so it is safe inside the JSON string) for messages.
 *
 * The runtimes are looked for in preference order, and the programs stop being run once the flavour
 * that will be chosen is found (`forced`, else any of `modules`): a Python start is some 30 ms of a
 * node's CPU, and over 100 ms behind a version manager's shim, for an answer nobody reads. A runtime
 * not looked for is reported absent; messages list runtimes only when nothing usable was found, and
 * then every one was looked for.
 */
export function detectionCommand(modules: readonly AgentFlavourModule[], forced?: AgentFlavour): string {
  const viaSh = modules.filter((m) => m.flavour !== 'powershell');
  const looked = viaSh.map((m) => REQUIREMENTS[m.flavour].needs).join(', ');
  const has = (tool: string): string => `command -v ${tool} >/dev/null 2>&1`;
  const usable = forced !== undefined ? REQUIREMENTS[forced].shTest : viaSh.map((m) => REQUIREMENTS[m.flavour].shTest).join(' || ') || 'false';
  const stillLooking = `! { ${usable}; }`;
  return [
    'tw_node=false; tw_nodev=; tw_python3=false; tw_curl=false; tw_wget=none; tw_nc=false',
    `if ${has('node')}; then`,
    // </dev/null: stdin carries the rest of the protocol; a node wrapper that reads it would eat the agent.
    '  tw_nodev=$(node -v </dev/null 2>/dev/null)',
    '  case "$tw_nodev" in v[0-9]*) ;; *) tw_nodev=unknown ;; esac',
    '  case "$tw_nodev" in *[!0-9A-Za-z.+-]*) tw_nodev=unknown ;; esac',
    `  [ \${#tw_nodev} -le ${MAX_NODE_VERSION} ] || tw_nodev=unknown`,
    `  case "$tw_nodev" in ${nodeTooOld()}) ;; v[1-9][0-9]*) tw_node=true ;; esac`,
    'fi',
    `if ${stillLooking} && ${has('python3')} && python3 -c 'import sys; sys.exit(sys.version_info < (3, 6))' </dev/null >/dev/null 2>&1; then tw_python3=true; fi`,
    `${has('curl')} && tw_curl=true`,
    `if ${stillLooking} && ${has('wget')}; then case "$(wget --help 2>&1)" in *BusyBox*) tw_wget=busybox;; *) tw_wget=gnu;; esac; fi`,
    `${has('nc')} && tw_nc=true`,
    `if ! { ${viaSh.map((m) => REQUIREMENTS[m.flavour].shTest).join(' || ') || 'false'}; }; then echo "twoway: no agent runtime on PATH (looked for ${looked}\${tw_nodev:+; node \$tw_nodev is not >= ${NODE_AGENT_MIN_MAJOR}})" >&2; exit ${NO_RUNTIME_EXIT}; fi`,
    `echo "{\\"t\\":\\"${RUNTIMES_LINE_TYPE}\\",\\"node\\":$tw_node,\\"nodeVersion\\":\\"$tw_nodev\\",\\"python3\\":$tw_python3,\\"curl\\":$tw_curl,\\"wget\\":\\"$tw_wget\\",\\"nc\\":$tw_nc}"`,
    'IFS= read -r tw_flavour || tw_flavour=',
    'case "$tw_flavour" in',
    ...viaSh.map((m) => `  ${m.flavour}) exec ${m.remoteCommand} ;;`),
    '  *) echo "twoway: no agent flavour chosen" >&2; exit 1 ;;',
    'esac',
  ].join('\n');
}

/** Reads the snippet's line; undefined when it is not one (then nothing is sent). */
export function parseRuntimesLine(line: string): DetectedRuntimes | undefined {
  let o: unknown;
  try {
    o = JSON.parse(line);
  } catch {
    return undefined;
  }
  if (typeof o !== 'object' || o === null) return undefined;
  const r = o as Record<string, unknown>;
  const flags = ['node', 'python3', 'curl', 'nc'] as const;
  if (r.t !== RUNTIMES_LINE_TYPE || !flags.every((k) => typeof r[k] === 'boolean')) return undefined;
  if (r.wget !== 'gnu' && r.wget !== 'busybox' && r.wget !== 'none') return undefined;
  if (typeof r.nodeVersion !== 'string' || !/^[0-9A-Za-z.+-]*$/.test(r.nodeVersion) || r.nodeVersion.length > MAX_NODE_VERSION) return undefined;
  const runtimes: DetectedRuntimes = { node: r.node as boolean, python3: r.python3 as boolean, curl: r.curl as boolean, nc: r.nc as boolean, wget: r.wget === 'none' ? false : r.wget };
  if (r.nodeVersion !== '') runtimes.nodeVersion = r.nodeVersion;
  return runtimes;
}

/** "node, curl, wget (busybox)": what the node offered, for messages. */
export function describeRuntimes(r: DetectedRuntimes): string {
  const oldNode = !r.node && r.nodeVersion !== undefined && `node ${r.nodeVersion} (too old)`;
  const found = [r.node && 'node', oldNode, r.python3 && 'python3', r.curl && 'curl', r.wget !== false && `wget (${r.wget})`, r.nc && 'nc'].filter((x): x is string => typeof x === 'string');
  return found.length === 0 ? 'none of them' : found.join(', ');
}

export type FlavourChoice = { ok: true; flavour: AgentFlavour } | { ok: false; problem: string };

/**
 * The flavour to send: the forced one if the node has its runtime, else the best the node offers
 * among `registered` (in preference order).
 */
export function chooseFlavour(runtimes: DetectedRuntimes, forced: AgentFlavour | undefined, registered: readonly AgentFlavour[]): FlavourChoice {
  if (forced !== undefined) {
    if (REQUIREMENTS[forced].has(runtimes)) return { ok: true, flavour: forced };
    if (forced === 'node' && runtimes.nodeVersion !== undefined) {
      return {
        ok: false,
        problem: `runtime "node" was asked for, but node on the PATH of SSH sessions is ${runtimes.nodeVersion === 'unknown' ? 'of no version it would tell' : runtimes.nodeVersion}, and the Node agent needs ${REQUIREMENTS.node.needs} (found: ${describeRuntimes(runtimes)})`,
      };
    }
    return {
      ok: false,
      problem: `runtime "${forced}" was asked for, but the node has no ${REQUIREMENTS[forced].needs} on the PATH of SSH sessions (found: ${describeRuntimes(runtimes)})`,
    };
  }
  const best = FLAVOUR_PREFERENCE.find((f) => registered.includes(f) && REQUIREMENTS[f].has(runtimes));
  if (best !== undefined) return { ok: true, flavour: best };
  return { ok: false, problem: `no agent flavour of this build can run on the node (found: ${describeRuntimes(runtimes)})` };
}

/**
 * The flavour asked for: the node's own `runtime:`, else the run's --runtime, else the profile's
 * default (src/profiles.ts ProfileHints) when this build has that flavour.
 */
export function askedFlavour(node: AgentFlavour | undefined, run: AgentFlavour | undefined, profileDefault: AgentFlavour | undefined, registered: readonly AgentFlavour[]): AgentFlavour | undefined {
  return node ?? run ?? (profileDefault !== undefined && registered.includes(profileDefault) ? profileDefault : undefined);
}

/** A flavour sent without detection: PowerShell, since the node's shell is not POSIX sh. */
export function flavourWithoutDetection(asked: AgentFlavour | undefined): AgentFlavour | undefined {
  return asked === 'powershell' ? asked : undefined;
}
