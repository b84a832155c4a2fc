/**
 * `twoway run`: validate everything, then run, render, and exit 0 (all ok), 1 (a fault; with
 * --baseline, a new one), 2 (bad input), or 128 + the signal's number when a signal stopped it.
 */
import { setMaxListeners } from 'node:events';
import { Command, Option } from 'commander';
import { runTwoway, type RunOptions } from '../../controller/run/run.js';
import { ftpPortsOf, prepareAddresses, usesFtp, type AddressedNode } from '../../controller/run/node-setup.js';
import { openIngress, removeStaleOpenings, type IngressOpening } from '../../controller/firewall/open-ingress.js';
import { renderPreflight, runPreflight, type PreflightItem } from '../../controller/run/preflight.js';
import { DEFAULT_DEADLINES, DEFAULT_SIZES } from '../../controller/run/plan.js';
import { checkSshOptions, sshKexOptions, SSH_KEX_CHOICES, type SshKex } from '../../controller/ssh/options.js';
import { defaultConcurrency, NODES_PER_CORE } from '../../controller/run/concurrency.js';
import { DEFAULT_FIRMWARE_BYTES, DEFAULT_THRESHOLDS } from '../../controller/diagnose/inputs.js';
import { sizeLabel } from '../size-label.js';
import { AGENT_FLAVOURS, type AgentFlavour } from '../agent-flavours.js';
import { InputError } from '../errors.js';
import { choosePort, loadHpsumIni, type HpsumPorts, type PortChoice } from '../hpsum-ini.js';
import type { Inventory } from '../inventory/types.js';
import { loadProfileFile } from '../profile-file.js';
import { BUILT_IN_PROFILES, DEFAULT_PROFILE, UPDATE_MANAGER_PORTS, type ProfileSet } from '../profiles.js';
import { CALLBACK_CHOICES, DEFAULT_MANAGER, MANAGER_NAMES, UPDATE_MANAGERS, type CallbackChoice } from '../managers.js';
import { FAIL_ON, type FailOn } from '../diff.js';
import { DEFAULT_KEEP } from '../history.js';
import type { Report } from '../report.js';
import { renderTerminal } from '../render/terminal.js';
import { renderNagios, renderNagiosUnknown } from '../render/nagios.js';
import { plainTail } from '../render/plain-text.js';
import { addOutputOptions, checkOutputFiles, outputFlagsOf, openJsonl, writeReportFiles, type OutputFlags } from './outputs.js';
import { ProgressReporter, progressMode } from './progress.js';
import { checkBaselineFlags, finishWithBaseline, planBaseline } from './baseline.js';
import { checkListenerPorts, type ListenerPorts } from './listener-ports.js';
import { isSupervisedChild, superviseChild } from './supervise.js';
import { watchStopRequests } from './stop-requests.js';
import { parseLiveAddress, startLiveServer } from './live.js';
import { checkSshFiles, loadNodes, sshConfigFile, withSshAliasesResolved } from './nodes.js';
import { collect, parseIntIn, parseIpAddress, parsePort, parsePortRange, parseSize, parseSizes } from './parse.js';
import { hostPort } from '../endpoint.js';
import { nodesInShard, parseShard, shardLabel, type Shard } from '../shard.js';
import { emptyShardReport } from './empty-shard.js';
import { replayJsonl } from '../render/jsonl.js';
import { writeFileAtomic } from '../render/write-file.js';

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

/** Built-in profiles plus the --profiles file's; the --profile flag must name one of them. */
export function profilesFor(flags: { profile: string; profiles?: string }): ProfileSet {
  const profiles = flags.profiles === undefined ? BUILT_IN_PROFILES : loadProfileFile(flags.profiles);
  // Own names only: --profile constructor must not find Object.prototype's.
  if (!Object.hasOwn(profiles, flags.profile)) throw new InputError(`unknown profile "${flags.profile}"; expected one of ${Object.keys(profiles).join(', ')}`, { field: '--profile' });
  return profiles;
}

/** Nodes whose profile needs several addresses (Integrity: management and production) must list them all. */
export function checkProfileAddresses(inventory: Inventory, profiles: ProfileSet): void {
  for (const node of inventory.nodes) {
    const profile = profiles[node.profile]!;
    if (node.addresses.length < profile.minAddresses) {
      throw new InputError(
        `node "${node.name}" has profile ${profile.name}, which needs ${profile.minAddresses} addresses (${profile.description}); found ${node.addresses.length}: give "addresses: [...]"`,
        { file: node.from.file, ...(node.from.line > 0 ? { line: node.from.line } : {}), field: 'addresses' },
      );
    }
  }
}


/** What the flags alone decide: every flag is checked here, before any file is read. */
type FlagOptions = Omit<RunOptions, 'nodes' | 'profiles' | 'httpPort' | 'httpsPort' | 'ssh'> & { ssh: Omit<RunOptions['ssh'], 'configFile'> };

function optionsFromFlags(flags: RunFlags, signal: AbortSignal): FlagOptions {
  const agentTimeoutMs = parseIntIn(flags.agentTimeout, '--agent-timeout', 5, 3600) * 1000;
  return {
    manager: UPDATE_MANAGERS[flags.manager]!,
    callbacks: flags.callbacks,
    callbackAddresses: flags.callbackAddress.map((a) => parseIpAddress(a, '--callback-address')),
    listen: flags.listen.map((a) => parseIpAddress(a, '--listen')),
    sizes: flags.sizes === undefined ? [...DEFAULT_SIZES] : parseSizes(flags.sizes),
    concurrency: parseIntIn(flags.concurrency, '--concurrency', 1, 1024),
    statusPosts: 3,
    statusIntervalMs: 300,
    idleHoldMs: parseIntIn(flags.idleHold, '--idle-hold', 0, 24 * 3600) * 1000,
    alternates: flags.alternates,
    ftp: { all: flags.ftp, controlPort: parsePort(flags.ftpPort, '--ftp-port'), dataPorts: parsePortRange(flags.ftpDataPorts, '--ftp-data-ports') },
    deadlines: { ...DEFAULT_DEADLINES, probeMs: Math.min(DEFAULT_DEADLINES.probeMs, agentTimeoutMs), totalMs: agentTimeoutMs },
    forwardTimeoutMs: parseIntIn(flags.forwardTimeout, '--forward-timeout', 100, 60_000),
    ...(flags.runtime === undefined ? {} : { runtime: flags.runtime }),
    ...(flags.shard === undefined ? {} : { shard: parseShard(flags.shard) }),
    ssh: {
      connectTimeoutSec: parseIntIn(flags.connectTimeout, '--connect-timeout', 1, 300),
      acceptNewHostKeys: flags.acceptNewHostkeys,
      extraOptions: sshKexOptions(flags.sshKex, checkSshOptions(flags.sshOption)),
    },
    thresholds: {
      ...DEFAULT_THRESHOLDS,
      minMbps: parseIntIn(flags.minMbps, '--min-mbps', 1, 100_000),
      minUploadMbps: parseIntIn(flags.minUploadMbps, '--min-upload-mbps', 1, 100_000),
      maxRttMs: parseIntIn(flags.maxRtt, '--max-rtt', 1, 60_000),
      maxLossPct: parsePercent(flags.maxLoss, '--max-loss'),
      firmwareBytes: parseSize(flags.firmwareSize, '--firmware-size'),
    },
    signal,
  };
}

/** A percentage from 0 to 100, decimals allowed ("0.5"). */
export function parsePercent(text: string, name: string): number {
  const n = Number(text);
  if (text.trim() === '' || !Number.isFinite(n) || n < 0 || n > 100) throw new InputError(`${name} must be a percentage from 0 to 100, not "${text}"`, { field: name });
  return n;
}

/** The HTTP and HTTPS callback ports and what set each: flags, then hpsum.ini, then the --manager's own ports. */
function callbackPorts(flags: RunFlags, ini: HpsumPorts): { http: PortChoice; https: PortChoice } {
  const flag = (text: string | undefined, name: string): number | undefined => (text === undefined ? undefined : parsePort(text, name, true));
  const defaults = (UPDATE_MANAGERS[flags.manager] ?? UPDATE_MANAGERS[DEFAULT_MANAGER]!).ports;
  return {
    http: choosePort('port', '--port', flag(flags.port, '--port'), ini.port, defaults.http),
    https: choosePort('ssl_port', '--ssl-port', flag(flags.sslPort, '--ssl-port'), ini.ssl_port, defaults.https),
  };
}

/** What --hpsum-ini decided, for stderr: disagreements with flags always, the ports unless --quiet. */
function callbackPortNotes(flags: RunFlags, ports: { http: PortChoice; https: PortChoice }): string[] {
  const notes = [ports.http, ports.https].flatMap((choice) => (choice.conflict === undefined ? [] : [`twoway: ${choice.conflict}`]));
  if (flags.hpsumIni !== undefined && !flags.quiet) notes.push(`twoway: ports from ${flags.hpsumIni}: http ${ports.http.port} (${ports.http.from}), https ${ports.https.port} (${ports.https.from})`);
  return notes;
}

/** Each listener the run will start, with the setting that chose its ports; FTP only when a node uses it. */
function listenerPorts(flags: RunFlags, ports: { http: PortChoice; https: PortChoice }, ftp?: RunOptions['ftp']): ListenerPorts[] {
  const setting = (flag: string, key: string, choice: PortChoice): string =>
    choice.from === 'flag' ? flag : choice.from === 'hpsum.ini' ? `${key}= in ${flags.hpsumIni}` : `${flag} (default)`;
  const web: ListenerPorts[] = [
    { setting: setting('--port', 'port', ports.http), listener: 'the HTTP callback listener', first: ports.http.port, last: ports.http.port, flag: '--port' },
    { setting: setting('--ssl-port', 'ssl_port', ports.https), listener: 'the HTTPS callback listener', first: ports.https.port, last: ports.https.port, flag: '--ssl-port' },
  ];
  if (ftp === undefined) return web;
  return [
    ...web,
    { setting: '--ftp-port', listener: 'the FTP control listener', first: ftp.controlPort, last: ftp.controlPort, flag: '--ftp-port' },
    { setting: '--ftp-data-ports', listener: 'the FTP passive data listeners', ...ftp.dataPorts, flag: '--ftp-data-ports' },
  ];
}

/**
 * Flags and inventory to run options, inside the controller's network namespace; when this process
   * re-executed itself as a supervised child instead (src/cli/supervise.ts), the child's exit status
   * (`reexecuted`). `supervise`: always so (a run); otherwise only to enter a namespace (preflight).
   * Flags are checked first, then the small files (profiles, hpsum.ini), then the inventory, so a typo
   * in a flag fails at once however large the inventory is.
   */
export async function prepareRun(flags: RunFlags, signal: AbortSignal, supervise: boolean): Promise<{ options: RunOptions } | { reexecuted: number }> {
  const fromFlags = optionsFromFlags(flags, signal);
  if (flags.live !== undefined) parseLiveAddress(flags.live);
  // Both web ports given as flags: hpsum.ini cannot change them, so a clash is known before any file is read.
  if (flags.port !== undefined && flags.sslPort !== undefined) checkListenerPorts(listenerPorts(flags, callbackPorts(flags, {})));
  checkOutputFiles(outputFlagsOf(flags));
  checkBaselineFlags(flags);
  const profiles = profilesFor(flags);
  const ports = callbackPorts(flags, flags.hpsumIni === undefined ? {} : loadHpsumIni(flags.hpsumIni));
  checkListenerPorts(listenerPorts(flags, ports));
  const described = inShard(loadNodes(flags, Object.keys(profiles)), fromFlags.shard);
  const loaded = described.inventory;
  checkProfileAddresses(loaded, profiles);
  checkSshFiles(flags, described);
  const netns = loaded.controller.netns;
  if ((supervise || netns !== undefined) && !isSupervisedChild(netns)) return { reexecuted: await superviseChild(netns) };
  for (const note of callbackPortNotes(flags, ports)) process.stderr.write(`${note}\n`);
  const inventory = await withSshAliasesResolved(flags, loaded);
  const configFile = sshConfigFile(flags, inventory);
  const options: RunOptions = {
    ...fromFlags,
    nodes: inventory.nodes,
    profiles,
    callbackAddresses: fromFlags.callbackAddresses.length > 0 ? fromFlags.callbackAddresses : (inventory.controller.callbackAddresses ?? []),
    httpPort: ports.http.port,
    httpsPort: ports.https.port,
    ssh: { ...fromFlags.ssh, ...(configFile === undefined ? {} : { configFile }) },
  };
  if (options.nodes.some((node) => usesFtp(options, node))) checkListenerPorts(listenerPorts(flags, ports, options.ftp));
  return { options };
}

/** With --shard, only this controller's share of the nodes (after --limit: a node's shard depends on its name alone). */
function inShard<T extends { inventory: Inventory }>(loaded: T, shard: Shard | undefined): T {
  return shard === undefined ? loaded : { ...loaded, inventory: { ...loaded.inventory, nodes: nodesInShard(loaded.inventory.nodes, shard) } };
}

/**
 * What preflight checks for these options: the listen addresses and ports the run will use, and the
 * nodes as sources; also the nodes as addressed, for the run to reuse.
 */
export async function preflightFor(options: RunOptions, openFirewall: boolean): Promise<{ items: PreflightItem[]; addressed: AddressedNode[] }> {
  const nodes = await prepareAddresses(options);
  const callbackAddresses = [...new Set(nodes.flatMap((n) => n.callbackAddresses))];
  const items = await runPreflight({
    listen: options.listen.length > 0 ? options.listen : callbackAddresses,
    ports: [options.httpPort, options.httpsPort, ...(nodes.some((n) => usesFtp(options, n.spec)) ? ftpPortsOf(options.ftp) : [])],
    callbackAddresses,
    sources: [...new Set(nodes.flatMap((n) => n.addresses))],
    openFirewall,
  });
  return { items, addressed: nodes };
}

async function runCommand(flags: RunFlags): Promise<number> {
  const abort = new AbortController();
  // One listener per probe and session in flight; their number is bounded by --concurrency, not by 10.
  setMaxListeners(0, abort.signal);
  const prepared = await prepareRun(flags, abort.signal, true);
  if ('reexecuted' in prepared) return prepared.reexecuted;
  const reporter = new ProgressReporter(progressMode({ quiet: flags.quiet, isTTY: process.stderr.isTTY === true, ci: process.env.CI }), {
    write: (text) => process.stderr.write(text),
    get columns() {
      return process.stderr.columns;
    },
  });
  // From here to the end a stop request (a signal, or the supervisor gone) stops the run and
  // the report is still written; a second one ends the process at once.
  let stoppedWith: number | undefined;
  const stopWatching = watchStopRequests((request) => {
    if (request.nth > 1) process.exit(request.exitCode);
    stoppedWith = request.exitCode;
    reporter.message(`twoway: ${request.reason}: stopping; every node still gets a result (again to quit at once)`);
    abort.abort();
  });
  try {
    const exitCode = await runPrepared(flags, prepared.options, reporter);
    // A stopped run's report is marked interrupted, which --nagios answers as UNKNOWN (3) itself.
    return flags.nagios ? exitCode : (stoppedWith ?? exitCode);
  } finally {
    stopWatching();
  }
}

async function runPrepared(flags: RunFlags, options: RunOptions, reporter: ProgressReporter): Promise<number> {
  const baseline = planBaseline(flags);
  for (const note of baseline.notes) process.stderr.write(`${note}\n`);
  const progress = (line: string): void => reporter.message(line);
  if (options.shard !== undefined && options.nodes.length === 0) {
    progress(`twoway: shard ${shardLabel(options.shard)} holds none of the inventory's nodes: nothing to test; the report says so`);
    reporter.stop();
    const report = emptyShardReport(options, options.shard);
    if (flags.jsonl !== undefined) writeFileAtomic(flags.jsonl, replayJsonl(report));
    return finishReport(flags, report, baseline);
  }
  const stale = removeStaleOpeningsQuietly();
  if (stale.length > 0) progress(`twoway: removed firewall openings left by runs that died: ${stale.join(', ')}`);

  const { items: checks, addressed } = await preflightFor(options, flags.openFirewall);
  options.addressed = addressed;
  const notOk = checks.filter((c) => c.status !== 'ok');
  if (notOk.length > 0) process.stderr.write(`twoway: preflight (the controller's side):\n${renderPreflight(notOk)}\n`);
  if (notOk.some((c) => c.status === 'fail')) {
    if (!flags.nagios) return 2;
    const unknown = renderNagiosUnknown('preflight failed (see stderr)');
    process.stdout.write(unknown.text);
    return unknown.exitCode;
  }

  // Whatever ends this process (the run's end, an error, a second Ctrl-C), the opening goes with it.
  let opening: IngressOpening | undefined;
  const closeOpening = (): void => {
    const removed = opening?.close() ?? [];
    if (removed.length > 0) progress(`twoway: --open-firewall: removed ${removed.join(', ')}`);
  };
  process.on('exit', closeOpening);
  if (flags.openFirewall) {
    options.onListening = (ports) => {
      opening = openIngress(ports);
      progress(`twoway: --open-firewall: tcp ${opening.ports.join(', ')} accepted ${opening.hookedInto.length > 0 ? `via ${opening.hookedInto.join(', ')}` : '(no input filter chain: nothing to open)'}`);
    };
  }
  const jsonl = flags.jsonl === undefined ? undefined : openJsonl(flags.jsonl);
  const live = flags.live === undefined ? undefined : await startLiveServer(parseLiveAddress(flags.live), 'twoway run (live)');
  // Shown even with --quiet: without it nobody can open the page.
  if (live !== undefined) process.stderr.write(`twoway: live view: ${live.url}\n`);

  let report: Report;
  try {
    report = await runTwoway(options, {
      started: (info) => {
        jsonl?.started(info);
        progress(`twoway: testing ${info.nodes} node(s); listening on ${info.listeners.map((l) => `${l.proto}://${hostPort(l.address, l.port)}`).join(', ')}`);
        reporter.started(info.nodes);
        live?.started(info);
      },
      nodeStarted: (name) => jsonl?.nodeStarted(name),
      agentEvent: (name, event) => {
        jsonl?.agentEvent(name, event);
        if (flags.verbose) progress(`  ${name}: ${JSON.stringify(event)}`);
      },
      sessionEnded: (name, destination, stderr) => {
        if (flags.verbose) for (const line of verboseStderr(name, destination, stderr)) progress(line);
      },
      nodeFinished: (node, done, total) => {
        jsonl?.nodeFinished(node, done, total);
        reporter.nodeFinished(node, done, total);
        live?.nodeFinished(node, done, total);
      },
      finished: (r) => {
        jsonl?.finished(r);
        void live?.finished(r);
      },
    });
  } finally {
    await live?.close();
    closeOpening();
    process.off('exit', closeOpening);
    reporter.stop();
    jsonl?.close();
  }
  return finishReport(flags, report, baseline);
}

/** The report's files, the terminal report, the baseline comparison; the exit code. */
function finishReport(flags: RunFlags, report: Report, baseline: ReturnType<typeof planBaseline>): number {
  // Written also after an interrupt: every node has a result then.
  writeReportFiles(report, outputFlagsOf(flags));
  const compared = finishWithBaseline(baseline, report);
  // --nagios: the plug-in line is all of stdout, and its exit code is the plug-in's (README: Monitoring plug-ins).
  if (flags.nagios) {
    const plugin = renderNagios(report);
    process.stdout.write(plugin.text);
    return plugin.exitCode;
  }
  const color = flags.color && process.stdout.isTTY === true && process.env.NO_COLOR === undefined;
  process.stdout.write(renderTerminal(report, { color }));
  process.stdout.write(compared.text);
  return compared.exitCode;
}

/** Lines of a session's stderr --verbose shows: the last ones, each plain (it came from the node) and bounded. */
const VERBOSE_STDERR_LINES = 40;
const VERBOSE_STDERR_WIDTH = 400;

export function verboseStderr(name: string, destination: string, stderr: string): string[] {
  const tail = plainTail(stderr, VERBOSE_STDERR_LINES, VERBOSE_STDERR_WIDTH);
  return tail.length === 0 ? [] : [`  ${name}: stderr of the SSH session to ${destination}:`, ...tail.map((line) => `  ${name}| ${line}`)];
}

/** A crashed run's firewall opening is removed at the next start; without root (or tools) there is nothing to remove. */
function removeStaleOpeningsQuietly(): string[] {
  if (process.getuid?.() !== 0) return [];
  try {
    return removeStaleOpenings();
  } catch {
    return [];
  }
}
