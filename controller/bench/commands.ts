/**
 * What the bench runs, as an operator would type it (pure): the SSH floor (`ssh node true` fanned
 * out with xargs -P), the ssh+curl baseline (each node fetches 1 MiB from an HTTP server in the
 * controller namespace), and `twoway run` on the fleet inventory with its defaults. The floor and
 * the baseline print the address of each node whose command failed, one line each.
 */
import { CTL_ADDRESS, CTL_NETNS } from '../lab/plan.js';

export type BenchMode = 'floor' | 'baseline' | 'twoway';
export const BENCH_MODES: readonly BenchMode[] = ['floor', 'baseline', 'twoway'];

/** The baseline's file: 1 MiB, like the transfer a firmware update starts with. */
export const BASELINE_BYTES = 1024 * 1024;
/**
 * The baseline's server listens on the update manager's HTTP port (63001, twoway's default callback
 * port), so a node whose firewall drops callbacks fails the baseline too. It runs only during
 * baseline runs, never alongside twoway's own listener.
 */
export const BASELINE_PORT = 63001;
/** curl's connect timeout: the agent's default connect deadline (controller/run/plan.ts, 3 s). */
export const BASELINE_CONNECT_TIMEOUT_S = 3;

export interface BenchCommand {
  command: string;
  args: string[];
  /** Process names from the command's own process down to the one sampled (twoway's controller). */
  mainProcess?: string[];
}

export interface FleetTarget {
  /** One address per line, every node of the fleet inventory. */
  hostsFile: string;
  sshConfig: string;
  fleetInventory: string;
  concurrency: number;
}

/** xargs -P: the fan-out an operator writes; each node's shell prints its address when its command failed. */
function fanOut(target: FleetTarget, perNode: string, extra: readonly string[]): BenchCommand {
  return {
    command: 'ip',
    args: ['netns', 'exec', CTL_NETNS, 'xargs', '-a', target.hostsFile, '-P', String(target.concurrency), '-n', '1', 'sh', '-c', perNode, 'sh', target.sshConfig, ...extra],
  };
}

export function baselineUrl(): string {
  return `http://${CTL_ADDRESS}:${BASELINE_PORT}/1MiB`;
}

export function benchCommand(mode: BenchMode, target: FleetTarget, twoway: { bin: string; json: string; jsonl: string }): BenchCommand {
  switch (mode) {
    case 'floor':
      // $1 the ssh_config, $2 the node (appended by xargs).
      return fanOut(target, 'ssh -F "$1" "$2" true || echo "failed $2"', []);
    case 'baseline':
      // $1 the ssh_config, $2 the URL, $3 the node.
      return fanOut(target, `ssh -F "$1" "$3" curl -sf -o /dev/null --connect-timeout ${BASELINE_CONNECT_TIMEOUT_S} "$2" || echo "failed $3"`, [baselineUrl()]);
    case 'twoway':
      return {
        command: process.execPath,
        args: [twoway.bin, 'run', '--inventory', target.fleetInventory, '--concurrency', String(target.concurrency), '--json', twoway.json, '--jsonl', twoway.jsonl, '--quiet'],
        // The CLI re-executes itself in twl-ctl (the inventory's controller.netns): that second node is the controller.
        mainProcess: ['node', 'node'],
      };
  }
}

/** A command line as a POSIX shell reads it back: plain words as they are, the rest in single quotes. */
export function shellLine(command: string, args: readonly string[]): string {
  return [command, ...args].map((a) => (/^[\w@%+=:,./-]+$/.test(a) ? a : `'${a.replaceAll("'", `'\\''`)}'`)).join(' ');
}

/** The failed-node lines the floor and baseline print. */
export function failedNodes(stdout: string): string[] {
  return stdout.split('\n').flatMap((line) => /^failed (\S+)$/.exec(line.trim())?.[1] ?? []);
}

/** The baseline's HTTP server, run with `node -e` inside twl-ctl: ADDRESS PORT BYTES; prints "ready" once listening. */
export const BASELINE_SERVER = `
const http = require('node:http');
const [host, port, bytes] = process.argv.slice(1);
const body = Buffer.alloc(Number(bytes), 0x61);
const server = http.createServer((req, res) => {
  res.writeHead(200, { 'content-type': 'application/octet-stream', 'content-length': body.length });
  res.end(body);
});
server.listen(Number(port), host, () => process.stdout.write('ready\\n'));
process.on('SIGTERM', () => process.exit(0));
`;
