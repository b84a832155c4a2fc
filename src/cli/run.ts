/**
 * `twoway run`: validate everything, then run, render, and exit 0 (all ok), 1 (a fault; with
 * --baseline, a new one), 2 (bad input), or 128 + the signal's number when a signal stopped it.
 *
 * This file holds only the options, so `twoway --help` and every other command load none of the
 * run. A run is two processes (src/cli/supervise.ts): the one the operator started checks the
 * flags and the inventory (src/cli/run-prepare.ts) and then only supervises; the re-executed
 * child loads the controller itself (src/cli/run-controller.ts: listeners, certificate, probers,
 * HTTP client), so the supervisor never pays for them.
 */
import { setMaxListeners } from 'node:events';
import { Command, Option } from 'commander';
import { DEFAULT_DEADLINES } from '../../controller/run/plan.js';
import { SSH_KEX_CHOICES, type SshKex } from '../../controller/ssh/options.js';
import { defaultConcurrency, NODES_PER_CORE } from '../../controller/run/concurrency.js';
import { DEFAULT_FIRMWARE_BYTES, DEFAULT_THRESHOLDS } from '../../controller/diagnose/inputs.js';
import { sizeLabel } from '../size-label.js';
import { AGENT_FLAVOURS, type AgentFlavour } from '../agent-flavours.js';
import { DEFAULT_PROFILE, UPDATE_MANAGER_PORTS } from '../profiles.js';
import { CALLBACK_CHOICES, DEFAULT_MANAGER, MANAGER_NAMES, type CallbackChoice } from '../managers.js';
import { FAIL_ON, type FailOn } from '../diff.js';
import { DEFAULT_KEEP } from '../history.js';
import { addOutputOptions, type OutputFlags } from './output-options.js';
import { collect } from './parse.js';

export interface RunFlags extends OutputFlags {
  inventory?: string;
  node: string[];
  profile: string;
  profiles?: string;
  limit?: string;
  shard?: string;
  runtime?: AgentFlavour;
  port?: string;
  sslPort?: string;
  hpsumIni?: string;
  manager: string;
  callbacks: CallbackChoice;
  callbackAddress: string[];
  listen: string[];
  sizes?: string;
  concurrency: string;
  sshConfig?: string;
  sshOption: string[];
  sshKex: SshKex;
  acceptNewHostkeys: boolean;
  connectTimeout: string;
  agentTimeout: string;
  forwardTimeout: string;
  idleHold: string;
  firmwareSize: string;
  minMbps: string;
  maxRtt: string;
  minUploadMbps: string;
  maxLoss: string;
  alternates: boolean;
  openFirewall: boolean;
  history?: string;
  keep?: string;
  baseline?: string;
  failOn?: FailOn;
  ftp: boolean;
  ftpPort: string;
  ftpDataPorts: string;
  color: boolean;
  nagios: boolean;
  /** --live: true alone, or ADDR:PORT (run only; preflight has no such option). */
  live?: string | true;
  quiet: boolean;
  verbose: boolean;
}

export function registerRun(program: Command): void {
  addOutputOptions(addRunOptions(program.command('run').description('test every node both ways: forward probes, and an agent over SSH that calls back')))
    .option('--live [addr:port]', `serve a live view of the run (loopback, a random port, unless given); its URL, with a random token, is printed on stderr`)
    .action(async (flags: RunFlags) => {
      process.exitCode = await runCommand(flags);
    });
}

/** The run's options; `twoway preflight` takes the same, so it checks exactly what the run would use. */
export function addRunOptions(command: Command): Command {
  return command
    .option('-i, --inventory <file>', 'inventory: twoway YAML/JSON, Ansible INI/YAML/ansible-inventory --list JSON, or a plain host list')
    .option('-n, --node <[user@]host[:port]>', 'a node to test (repeatable)', collect, [])
    .option('-l, --limit <pattern>', 'only these nodes or groups (Ansible-style: web,db  web*  all:!slow  web:&dc1)')
    .option('--shard <I/N>', 'test only share I of the nodes split N ways by a hash of each name (one controller of N; join the reports with twoway merge)')
    .option('--profile <name>', `profile for nodes that name none (see "twoway profiles")`, DEFAULT_PROFILE)
    .option('--profiles <file>', 'custom profile file (YAML/JSON): new profiles, or ports added to or removed from built-in ones')
    .addOption(new Option('--manager <name>', "the update manager's model: which callbacks it needs from each node type (see \"twoway profiles --manager NAME\"); the others are measured as information").choices(MANAGER_NAMES).default(DEFAULT_MANAGER))
    .addOption(new Option('--callbacks <choice>', 'auto: measure every callback, those the --manager does not need as information; off: do not test those at all').choices(CALLBACK_CHOICES).default('auto'))
    .option('--port <port>', `callback HTTP port (the update manager's /port; default ${UPDATE_MANAGER_PORTS.port}, or the --manager's own)`)
    .option('--ssl-port <port>', `callback HTTPS port (the update manager's /ssl_port; default ${UPDATE_MANAGER_PORTS.ssl_port})`)
    .addOption(new Option('--runtime <flavour>', "agent flavour for nodes whose twoway YAML/JSON inventory entry names no runtime: (default: the best each node offers)").choices(AGENT_FLAVOURS))
    .option('--hpsum-ini <file>', 'take port= and ssl_port= from the update manager\'s hpsum.ini (flags win, conflicts are reported)')
    .option('--callback-address <addr>', 'controller address the nodes call back to (repeatable: the agent tries each)', collect, [])
    .option('--listen <addr>', 'address to bind the listeners to (repeatable; default: the callback addresses)', collect, [])
    .option('--sizes <list>', 'download sizes to try, e.g. 1k,64k,1m,8m (default: 1k,64k,1m,8m)')
    .option('--concurrency <n>', `nodes tested at once; the default is ${NODES_PER_CORE} per core of this controller, from 4 to 64`, String(defaultConcurrency()))
    .option('-F, --ssh-config <file>', 'ssh_config file passed to ssh -F')
    .option('-o, --ssh-option <option>', "ssh -o option passed through ahead of twoway's own, so it wins, e.g. ProxyJump=bastion (repeatable; BatchMode, ConnectTimeout, StrictHostKeyChecking=no and forwarding are refused)", collect, [])
    .addOption(new Option('--ssh-kex <kex>', "SSH key exchange: default (OpenSSH 9: post-quantum hybrid sntrup761x25519) or fast (curve25519 only: about a seventh of the ssh client's CPU per handshake, but no protection of recorded sessions against a future quantum computer)").choices(SSH_KEX_CHOICES).default('default'))
    .option('--accept-new-hostkeys', 'trust unknown SSH host keys on first use (StrictHostKeyChecking=accept-new)', false)
    .option('--connect-timeout <sec>', 'SSH connect timeout', '5')
    .option('--agent-timeout <sec>', 'how long the agent may run on a node', String(DEFAULT_DEADLINES.totalMs / 1000))
    .option('--forward-timeout <ms>', 'deadline of each forward probe', '3000')
    .option('--idle-hold <sec>', 'hold a quiet callback channel this long, then check it still carries traffic both ways (0: off)', '0')
    .option('--firmware-size <size>', 'firmware bundle whose transfer time is estimated from the measured throughput', sizeLabel(DEFAULT_FIRMWARE_BYTES).replace(' ', ''))
    .option('--min-mbps <n>', 'throughput toward the node (downloads: firmware) below which a path is slow', String(DEFAULT_THRESHOLDS.minMbps))
    .option('--min-upload-mbps <n>', 'throughput toward the controller (uploads: status, logs) below which a path is slow', String(DEFAULT_THRESHOLDS.minUploadMbps))
    .option('--max-rtt <ms>', 'round trip (TCP handshake, and the controller\'s TCP_INFO) above which a path is slow', String(DEFAULT_THRESHOLDS.maxRttMs))
    .option('--max-loss <pct>', `share of the controller's segments retransmitted (over at least ${DEFAULT_THRESHOLDS.minSegmentsForLoss}) above which a path is slow`, String(DEFAULT_THRESHOLDS.maxLossPct))
    .option('--no-alternates', 'do not also listen on 80/443 to test whether moving the update manager there would help')
    .option('--ftp', 'test FTP callbacks (control port and passive data range, as switches fetch firmware) from every node; per node: ftp: true in a twoway YAML/JSON inventory', false)
    .option('--ftp-port <port>', "FTP control port (the update manager's /ftp_port)", String(UPDATE_MANAGER_PORTS.ftp_port))
    .option('--ftp-data-ports <A-B>', 'FTP passive data port range', `${UPDATE_MANAGER_PORTS.ftpData.first}-${UPDATE_MANAGER_PORTS.ftpData.last}`)
    .option('--open-firewall', "open exactly the listener ports in this host's firewall for the run (nft or iptables, root), removed after", false)
    .option('--history <dir>', 'store this run\'s JSON report in DIR as <run id>.json (DIR is made if only its last level is missing)')
    .option('--keep <n>', `runs --history keeps, newest first (default ${DEFAULT_KEEP})`)
    .option('--baseline <file|last>', 'compare with this earlier report ("last": the newest run in --history) and fail only on new breakage')
    .addOption(new Option('--fail-on <when>', 'exit 1 on any failure, or only on new breakage against --baseline (default: new with a baseline, else any)').choices(FAIL_ON))
    .option('--no-color', 'no colour in the terminal report (also: NO_COLOR)')
    .option('-q, --quiet', 'no progress on stderr (for cron)', false)
    .option('-v, --verbose', "show each agent event, and each SSH session's stderr, on stderr", false);
}

/** Checks, then either supervises the re-executed child (its exit status) or, in the child, runs. */
async function runCommand(flags: RunFlags): Promise<number> {
  const abort = new AbortController();
  // One listener per probe and session in flight; their number is bounded by --concurrency, not by 10.
  setMaxListeners(0, abort.signal);
  const { prepareRun } = await import('./run-prepare.js');
  const prepared = await prepareRun(flags, abort.signal, true);
  if ('reexecuted' in prepared) return prepared.reexecuted;
  const { runController } = await import('./run-controller.js');
  return runController(flags, prepared.options, abort);
}
