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
  node: boolean;
  /** python3 that is at least 3.6. */
  python3: boolean;
  curl: boolean;
  wget: 'gnu' | 'busybox' | false;
  nc: boolean;
}

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
  node: { needs: 'node', shTest: '[ "$tw_node" = true ]', has: (r) => r.node },
  python: { needs: 'python3 >= 3.6', shTest: '[ "$tw_python3" = true ]', has: (r) => r.python3 },
  'sh-curl': { needs: 'curl', shTest: '[ "$tw_curl" = true ]', has: (r) => r.curl },
  'sh-wget': { needs: 'wget', shTest: '[ "$tw_wget" != none ]', has: (r) => r.wget !== false },
  'sh-tcp': { needs: 'nc', shTest: '[ "$tw_nc" = true ]', has: (r) => r.nc },
  powershell: { needs: 'powershell', shTest: 'false', has: () => false },
};

/** The first stdout line of the snippet, so it cannot be taken for an agent event. */
export const RUNTIMES_LINE_TYPE = 'runtimes';

/** Exit status of the snippet when no registered flavour can run (classified agent-no-runtime). */
export const NO_RUNTIME_EXIT = 127;

/**
 * The snippet for the flavours in `modules` (each one's remoteCommand is exec'd as it stands).
 * Builtins only, except one `python3 -c` for its version and `wget --help` for its kind.
 */
export function detectionCommand(modules: readonly AgentFlavourModule[]): string {
  const viaSh = modules.filter((m) => m.flavour !== 'powershell');
  const looked = viaSh.map((m) => REQUIREMENTS[m.flavour].needs).join(', ');
  const has = (tool: string): string => `command -v ${tool} >/dev/null 2>&1`;
  return [
    'tw_node=false; tw_python3=false; tw_curl=false; tw_wget=none; tw_nc=false',
    `${has('node')} && tw_node=true`,
    `${has('python3')} && python3 -c 'import sys; sys.exit(sys.version_info < (3, 6))' >/dev/null 2>&1 && tw_python3=true`,
    `${has('curl')} && tw_curl=true`,
    `if ${has('wget')}; then case "$(wget --help 2>&1)" in *BusyBox*) tw_wget=busybox;; *) tw_wget=gnu;; esac; fi`,
    `${has('nc')} && tw_nc=true`,
    `if ! { ${viaSh.map((m) => REQUIREMENTS[m.flavour].shTest).join(' || ') || 'false'}; }; then echo "twoway: no agent runtime on PATH (looked for ${looked})" >&2; exit ${NO_RUNTIME_EXIT}; fi`,
    `echo "{\\"t\\":\\"${RUNTIMES_LINE_TYPE}\\",\\"node\\":$tw_node,\\"python3\\":$tw_python3,\\"curl\\":$tw_curl,\\"wget\\":\\"$tw_wget\\",\\"nc\\":$tw_nc}"`,
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
  return { node: r.node as boolean, python3: r.python3 as boolean, curl: r.curl as boolean, nc: r.nc as boolean, wget: r.wget === 'none' ? false : r.wget };
}

/** "node, curl, wget (busybox)": what the node offered, for messages. */
export function describeRuntimes(r: DetectedRuntimes): string {
  const found = [r.node && 'node', r.python3 && 'python3', r.curl && 'curl', r.wget !== false && `wget (${r.wget})`, r.nc && 'nc'].filter((x): x is string => typeof x === 'string');
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
 * A flavour sent without detection: PowerShell (forced, or the default for the windows profile
 * when it is registered), since the node's shell is not POSIX sh.
 */
export function flavourWithoutDetection(forced: AgentFlavour | undefined, profile: string, registered: readonly AgentFlavour[]): AgentFlavour | undefined {
  if (forced === 'powershell') return forced;
  if (forced === undefined && profile === 'windows' && registered.includes('powershell')) return 'powershell';
  return undefined;
}
