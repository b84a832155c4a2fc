/**
 * What `twoway run` and `twoway preflight` decide before anything starts: every flag, the small files
 * (profiles, hpsum.ini), then the inventory, and whether this process re-executes itself as a
 * supervised child (src/cli/supervise.ts). Nothing here loads the controller's listeners, probers or
 * certificate: the supervising process runs only this.
 */
import type { RunOptions } from '../../controller/run/run.js';
import { usesFtp } from '../../controller/run/node-setup.js';
import { DEFAULT_DEADLINES, DEFAULT_SIZES } from '../../controller/run/plan.js';
import { checkSshOptions, sshKexOptions } from '../../controller/ssh/options.js';
import { DEFAULT_THRESHOLDS } from '../../controller/diagnose/inputs.js';
import { InputError } from '../errors.js';
import { choosePort, loadHpsumIni, type HpsumPorts, type PortChoice } from '../hpsum-ini.js';
import type { Inventory } from '../inventory/types.js';
import { DEFAULT_MANAGER, UPDATE_MANAGERS } from '../managers.js';
import { nodesInShard, parseShard, type Shard } from '../shard.js';
import { checkOutputFiles, outputFlagsOf } from './output-options.js';
import { checkBaselineFlags } from './baseline.js';
import { checkListenerPorts, type ListenerPorts } from './listener-ports.js';
import { isSupervisedChild, superviseChild } from './supervise.js';
import { parseLiveAddress } from './live-address.js';
import { checkSshFiles, loadNodes, sshConfigFile, withSshAliasesResolved } from './nodes.js';
import { parseIntIn, parseIpAddress, parsePort, parsePortRange, parseSize, parseSizes } from './parse.js';
import { checkProfileAddresses, profilesFor } from './profile-choice.js';
import type { RunFlags } from './run.js';

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
  const profiles = await profilesFor(flags);
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
