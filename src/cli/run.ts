/** `twoway run`: validate everything, then run, render, and exit 0 (all ok), 1 (a fault) or 2 (bad input). */
import { setMaxListeners } from 'node:events';
import { readFileSync, writeFileSync } from 'node:fs';
import { Command, Option } from 'commander';
import { runTwoway, type RunOptions } from '../../controller/run.js';
import { DEFAULT_DEADLINES, DEFAULT_SIZES } from '../../controller/plan.js';
import { DEFAULT_FIRMWARE_BYTES, DEFAULT_THRESHOLDS, sizeLabel } from '../../controller/classify.js';
import { AGENT_FLAVOURS, type AgentFlavour } from '../agent-flavours.js';
import { InputError } from '../errors.js';
import { choosePort, parseHpsumIni, type HpsumPorts } from '../hpsum-ini.js';
import { inventoryFromHostSpecs, loadInventory } from '../inventory/parse.js';
import type { Inventory } from '../inventory/types.js';
import { DEFAULT_PROFILE, PROFILE_NAMES } from '../profiles.js';
import { getExitCode, type Report } from '../report.js';
import { renderJson } from '../render/json.js';
import { renderTerminal } from '../render/terminal.js';
import { VERDICTS } from '../verdicts.js';
import { insideNetns, reexecInNetns } from './netns.js';
import { collect, parseIntIn, parseIpAddress, parsePort, parseSize, parseSizes } from './parse.js';

interface RunFlags {
  inventory?: string;
  node: string[];
  profile: string;
  runtime?: AgentFlavour;
  port?: string;
  sslPort?: string;
  hpsumIni?: string;
  callbackAddress: string[];
  listen: string[];
  sizes?: string;
  concurrency: string;
  sshConfig?: string;
  sshOption: string[];
  acceptNewHostkeys: boolean;
  connectTimeout: string;
  agentTimeout: string;
  forwardTimeout: string;
  idleHold: string;
  firmwareSize: string;
  minMbps: string;
  alternates: boolean;
  json?: string;
  color: boolean;
  quiet: boolean;
  verbose: boolean;
}

export function registerRun(program: Command): void {
  program
    .command('run')
    .description('test every node both ways: forward probes, and an agent over SSH that calls back')
    .option('-i, --inventory <file>', 'inventory: YAML/JSON (defaults + nodes) or a plain host list')
    .option('-n, --node <[user@]host[:port]>', 'a node to test (repeatable)', collect, [])
    .addOption(new Option('--profile <name>', 'profile for nodes that name none').choices(PROFILE_NAMES).default(DEFAULT_PROFILE))
    .addOption(new Option('--runtime <flavour>', "agent flavour for nodes whose inventory entry names no runtime: (default: the best each node offers)").choices(AGENT_FLAVOURS))
    .option('--port <port>', `callback HTTP port (the update manager's /port; default ${DEFAULT_PORTS.port})`)
    .option('--ssl-port <port>', `callback HTTPS port (the update manager's /ssl_port; default ${DEFAULT_PORTS.ssl_port})`)
    .option('--hpsum-ini <file>', 'take port= and ssl_port= from the update manager\'s hpsum.ini (flags win, conflicts are reported)')
    .option('--callback-address <addr>', 'controller address the nodes call back to (repeatable: the agent tries each)', collect, [])
    .option('--listen <addr>', 'address to bind the listeners to (repeatable; default: the callback addresses)', collect, [])
    .option('--sizes <list>', 'download sizes to try, e.g. 1k,64k,1m,8m (default: 1k,64k,1m,8m)')
    .option('--concurrency <n>', 'nodes tested at once', '16')
    .option('-F, --ssh-config <file>', 'ssh_config file passed to ssh -F')
    .option('-o, --ssh-option <option>', 'ssh -o option passed through, e.g. ProxyJump=bastion (repeatable)', collect, [])
    .option('--accept-new-hostkeys', 'trust unknown SSH host keys on first use (StrictHostKeyChecking=accept-new)', false)
    .option('--connect-timeout <sec>', 'SSH connect timeout', '5')
    .option('--agent-timeout <sec>', 'how long the agent may run on a node', String(DEFAULT_DEADLINES.totalMs / 1000))
    .option('--forward-timeout <ms>', 'deadline of each forward probe', '3000')
    .option('--idle-hold <sec>', 'hold a quiet callback channel this long, then check it still carries traffic both ways (0: off)', '0')
    .option('--firmware-size <size>', 'firmware bundle whose transfer time is estimated from the measured throughput', sizeLabel(DEFAULT_FIRMWARE_BYTES).replace(' ', ''))
    .option('--min-mbps <n>', 'throughput below which a path is slow', String(DEFAULT_THRESHOLDS.minMbps))
    .option('--no-alternates', 'do not also listen on 80/443 to test whether moving the update manager there would help')
    .option('--json <file>', 'write the JSON report here')
    .option('--no-color', 'no colour in the terminal report (also: NO_COLOR)')
    .option('-q, --quiet', 'no progress on stderr', false)
    .option('-v, --verbose', 'show each agent event on stderr', false)
    .action(async (flags: RunFlags) => {
      process.exitCode = await runCommand(flags);
    });
}

function loadNodes(flags: RunFlags): Inventory {
  const opts = { knownProfiles: PROFILE_NAMES, defaultProfile: flags.profile };
  if (flags.inventory !== undefined && flags.node.length > 0) throw new InputError('give either --inventory or --node, not both', { field: '--node' });
  if (flags.inventory !== undefined) return loadInventory(flags.inventory, opts);
  if (flags.node.length > 0) return inventoryFromHostSpecs(flags.node, opts);
  throw new InputError('nothing to test: give --inventory FILE or --node ADDR', { field: '--inventory' });
}

/** The update manager's defaults (DESIGN.md section 1). */
const DEFAULT_PORTS = { port: 63001, ssl_port: 63002 } as const;

function readHpsumIni(file: string): HpsumPorts {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    throw new InputError(`cannot read it: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`, { file, field: '--hpsum-ini' }, { cause: err });
  }
  return parseHpsumIni(text, file);
}

/** The callback ports: flags, then hpsum.ini, then the defaults; disagreements go to `warn`. */
function callbackPorts(flags: RunFlags, warn: (line: string) => void): { httpPort: number; httpsPort: number } {
  const ini = flags.hpsumIni === undefined ? {} : readHpsumIni(flags.hpsumIni);
  const flag = (text: string | undefined, name: string): number | undefined => (text === undefined ? undefined : parsePort(text, name, true));
  const http = choosePort('port', '--port', flag(flags.port, '--port'), ini.port, DEFAULT_PORTS.port);
  const https = choosePort('ssl_port', '--ssl-port', flag(flags.sslPort, '--ssl-port'), ini.ssl_port, DEFAULT_PORTS.ssl_port);
  for (const choice of [http, https]) if (choice.conflict !== undefined) warn(`twoway: ${choice.conflict}`);
  if (flags.hpsumIni !== undefined && !flags.quiet) warn(`twoway: ports from ${flags.hpsumIni}: http ${http.port} (${http.from}), https ${https.port} (${https.from})`);
  return { httpPort: http.port, httpsPort: https.port };
}

function buildOptions(flags: RunFlags, inventory: Inventory, signal: AbortSignal): RunOptions {
  const agentTimeoutMs = parseIntIn(flags.agentTimeout, '--agent-timeout', 5, 3600) * 1000;
  const callbackAddresses = flags.callbackAddress.length > 0 ? flags.callbackAddress : (inventory.controller.callbackAddresses ?? []);
  return {
    nodes: inventory.nodes,
    callbackAddresses: callbackAddresses.map((a) => parseIpAddress(a, '--callback-address')),
    listen: flags.listen.map((a) => parseIpAddress(a, '--listen')),
    ...callbackPorts(flags, (line) => process.stderr.write(`${line}\n`)),
    sizes: flags.sizes === undefined ? [...DEFAULT_SIZES] : parseSizes(flags.sizes),
    concurrency: parseIntIn(flags.concurrency, '--concurrency', 1, 1024),
    statusPosts: 3,
    statusIntervalMs: 300,
    idleHoldMs: parseIntIn(flags.idleHold, '--idle-hold', 0, 24 * 3600) * 1000,
    alternates: flags.alternates,
    deadlines: { ...DEFAULT_DEADLINES, probeMs: Math.min(DEFAULT_DEADLINES.probeMs, agentTimeoutMs), totalMs: agentTimeoutMs },
    forwardTimeoutMs: parseIntIn(flags.forwardTimeout, '--forward-timeout', 100, 60_000),
    ...(flags.runtime === undefined ? {} : { runtime: flags.runtime }),
    ssh: {
      ...(flags.sshConfig !== undefined ? { configFile: flags.sshConfig } : inventory.sshConfig !== undefined ? { configFile: inventory.sshConfig } : {}),
      connectTimeoutSec: parseIntIn(flags.connectTimeout, '--connect-timeout', 1, 300),
      acceptNewHostKeys: flags.acceptNewHostkeys,
      extraOptions: flags.sshOption,
    },
    thresholds: {
      ...DEFAULT_THRESHOLDS,
      minMbps: parseIntIn(flags.minMbps, '--min-mbps', 1, 100_000),
      firmwareBytes: parseSize(flags.firmwareSize, '--firmware-size'),
    },
    signal,
  };
}

async function runCommand(flags: RunFlags): Promise<number> {
  const inventory = loadNodes(flags);
  const netns = inventory.controller.netns;
  if (netns !== undefined && !insideNetns(netns)) return reexecInNetns(netns);

  const abort = new AbortController();
  // One listener per probe and session in flight; their number is bounded by --concurrency, not by 10.
  setMaxListeners(0, abort.signal);
  const options = buildOptions(flags, inventory, abort.signal);
  const progress = (line: string): void => {
    if (!flags.quiet) process.stderr.write(`${line}\n`);
  };
  let interrupts = 0;
  const onSignal = (sig: NodeJS.Signals): void => {
    interrupts += 1;
    if (interrupts > 1) process.exit(130);
    progress(`twoway: ${sig}: stopping; every node still gets a result (again to quit at once)`);
    abort.abort();
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);

  let report: Report;
  try {
    report = await runTwoway(options, {
      started: ({ nodes, listeners }) =>
        progress(`twoway: testing ${nodes} node(s); listening on ${listeners.map((l) => `${l.proto}://${l.address.includes(':') ? `[${l.address}]` : l.address}:${l.port}`).join(', ')}`),
      agentEvent: (name, event) => {
        if (flags.verbose) progress(`  ${name}: ${JSON.stringify(event)}`);
      },
      nodeFinished: (node, done, total) => progress(`[${done}/${total}] ${node.name}: ${node.verdict} (${VERDICTS[node.verdict].title}, ${(node.ms / 1000).toFixed(1)} s)`),
    });
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  }
  const color = flags.color && process.stdout.isTTY === true && process.env.NO_COLOR === undefined;
  process.stdout.write(renderTerminal(report, { color }));
  if (flags.json !== undefined) writeFileSync(flags.json, renderJson(report));
  return report.run.interrupted ? 130 : getExitCode(report);
}
