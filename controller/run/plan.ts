/**
 * What each node's agent is asked to do: pure, from the node's callback addresses, its own addresses
 * and the run's settings. Probe ids name what they test, so ledgers and reports read on their own.
 */
import { PROTOCOL_VERSION, type Deadlines, type Plan, type PlannedProbe, type PortRange, type WebProto } from '../../src/protocol.js';

export interface PlanSettings {
  runId: string;
  sizes: readonly number[];
  httpPort: number;
  httpsPort: number;
  /** The controller's alternate ports, where it could bind them (80/443): one hello each tells whether moving there helps. */
  alternates: { http?: number; https?: number };
  statusPosts: number;
  statusIntervalMs: number;
  /** Quiet time of the idle-hold channel; 0: no hold. */
  holdMs: number;
  deadlines: Deadlines;
  agentConcurrency: number;
  fingerprint256: string;
  /** The certificate's public-key pin (curl's form), for agents that pin that way. */
  spkiSha256Base64?: string;
  /** The FTP listener, when one runs: nodes whose target has `ftp` fetch a file from it. */
  ftp?: FtpSettings;
}

export interface FtpSettings {
  controlPort: number;
  dataPorts: PortRange;
}

export interface PlanTarget {
  node: string;
  token: string;
  callbackAddresses: readonly string[];
  /**
   * Source addresses to call back from: a dual-homed node's addresses, so each NIC is tested; empty:
   * one set of callbacks from whatever source the node's kernel picks.
   */
  sources: readonly string[];
  /** Fetch a file over FTP too (switches get their firmware that way); needs settings.ftp. */
  ftp?: boolean;
}

export interface ContentDigests {
  download(size: number): string;
  upload(size: number): string;
}

export const DEFAULT_SIZES = [1024, 64 * 1024, 1024 * 1024, 8 * 1024 * 1024] as const;

export const DEFAULT_DEADLINES: Deadlines = { connectMs: 3_000, stallMs: 5_000, probeMs: 60_000, totalMs: 120_000 };

/** The update manager's alternate ports, tried when the controller can bind them. */
export const ALTERNATE_PORTS = { http: 80, https: 443 } as const;

/** Over HTTPS the ladder stops here: TLS adds little to what the plain ladder measures, and bulk is costly. */
const HTTPS_MAX_SIZE = 64 * 1024;
/** Nodes send status and logs, not firmware: the upload ladder stops here. */
const UPLOAD_MAX_SIZE = 1024 * 1024;
/** The FTP test file: big enough to take many segments through the data connection, small enough to be quick. */
export const FTP_FILE_SIZE = 1024 * 1024;
/** Time the agent needs after a hold for its other work and its report. */
const HOLD_MARGIN_MS = 10_000;

export function buildPlan(target: PlanTarget, digests: ContentDigests, settings: PlanSettings): Plan {
  const holds: PlannedProbe[] = [];
  const probes: PlannedProbe[] = [];
  const sources: (string | undefined)[] = target.sources.length > 0 ? [...target.sources] : [undefined];
  target.callbackAddresses.forEach((address, addressIndex) => {
    sources.forEach((source, sourceIndex) => {
      for (const proto of ['http', 'https'] as const) {
        const port = proto === 'http' ? settings.httpPort : settings.httpsPort;
        const base = { proto, address, port, ...(source === undefined ? {} : { source }) };
        const tag = `${proto}-${addressIndex}${source === undefined ? '' : `-s${sourceIndex}`}`;
        probes.push({ ...base, id: `hello-${tag}`, kind: 'hello' });
        for (const size of ladder(proto, settings.sizes, Infinity)) {
          probes.push({ ...base, id: `dl-${tag}-${size}`, kind: 'download', size, sha256: digests.download(size) });
        }
        for (const size of ladder(proto, settings.sizes, UPLOAD_MAX_SIZE)) {
          probes.push({ ...base, id: `ul-${tag}-${size}`, kind: 'upload', size, sha256: digests.upload(size) });
        }
        probes.push({ ...base, id: `status-${tag}`, kind: 'status', posts: settings.statusPosts, intervalMs: settings.statusIntervalMs });
        if (settings.holdMs > 0) holds.push({ ...base, id: `hold-${tag}`, kind: 'hold', holdMs: settings.holdMs });
        const alternatePort = settings.alternates[proto];
        if (alternatePort !== undefined && alternatePort !== port) {
          probes.push({ ...base, port: alternatePort, id: `alt-${tag}`, kind: 'hello', alternate: true });
        }
      }
      const ftp = settings.ftp;
      if (target.ftp === true && ftp !== undefined) {
        probes.push({
          id: `ftp-${addressIndex}${source === undefined ? '' : `-s${sourceIndex}`}`,
          kind: 'ftp',
          proto: 'ftp',
          address,
          port: ftp.controlPort,
          ...(source === undefined ? {} : { source }),
          dataPorts: { ...ftp.dataPorts },
          size: FTP_FILE_SIZE,
          sha256: digests.download(FTP_FILE_SIZE),
        });
      }
    });
  });
  // Set-up (connect, TLS, upgrade, open exchange) may take two connect and two stall deadlines
  // before the quiet time starts; the check after it one more stall deadline.
  const { connectMs, stallMs } = settings.deadlines;
  const holdNeeds = settings.holdMs > 0 ? 2 * connectMs + 3 * stallMs + settings.holdMs + HOLD_MARGIN_MS : 0;
  return {
    version: PROTOCOL_VERSION,
    runId: settings.runId,
    node: target.node,
    token: target.token,
    fingerprint256: settings.fingerprint256,
    ...(settings.spkiSha256Base64 === undefined ? {} : { spkiSha256Base64: settings.spkiSha256Base64 }),
    controllerAddresses: [...target.callbackAddresses],
    // Holds go first and get slots of their own: each sits quiet for the whole hold.
    probes: [...holds, ...probes],
    deadlines: { ...settings.deadlines, totalMs: Math.max(settings.deadlines.totalMs, holdNeeds) },
    concurrency: settings.agentConcurrency + holds.length,
  };
}

function ladder(proto: WebProto, sizes: readonly number[], cap: number): number[] {
  const limit = Math.min(cap, proto === 'https' ? HTTPS_MAX_SIZE : Infinity);
  const within = sizes.filter((s) => s <= limit);
  // Every size is above the cap: the smallest still shows whether the direction carries a transfer.
  return within.length > 0 ? within : [Math.min(...sizes)];
}
