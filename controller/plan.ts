/**
 * What each node's agent is asked to do: pure, from the node's callback addresses and the run's
 * settings. Probe ids name what they test, so ledgers and reports read on their own.
 */
import { PROTOCOL_VERSION, type CallbackProto, type Deadlines, type Plan, type PlannedProbe } from '../src/protocol.js';

export interface PlanSettings {
  runId: string;
  sizes: readonly number[];
  httpPort: number;
  httpsPort: number;
  statusPosts: number;
  statusIntervalMs: number;
  deadlines: Deadlines;
  agentConcurrency: number;
  fingerprint256: string;
}

export const DEFAULT_SIZES = [1024, 64 * 1024, 1024 * 1024, 8 * 1024 * 1024] as const;

export const DEFAULT_DEADLINES: Deadlines = { connectMs: 3_000, stallMs: 5_000, probeMs: 60_000, totalMs: 120_000 };

/** Over HTTPS the ladder stops here: TLS adds little to what the plain ladder measures, and bulk is costly. */
const HTTPS_MAX_SIZE = 64 * 1024;

export function buildPlan(
  node: string,
  token: string,
  callbackAddresses: readonly string[],
  sha256For: (size: number) => string,
  settings: PlanSettings,
): Plan {
  const probes: PlannedProbe[] = [];
  callbackAddresses.forEach((address, index) => {
    for (const proto of ['http', 'https'] as const) {
      const port = proto === 'http' ? settings.httpPort : settings.httpsPort;
      const base = { proto, address, port };
      const tag = `${proto}-${index}`;
      probes.push({ ...base, id: `hello-${tag}`, kind: 'hello' });
      for (const size of sizesFor(proto, settings.sizes)) {
        probes.push({ ...base, id: `dl-${tag}-${size}`, kind: 'download', size, sha256: sha256For(size) });
      }
      probes.push({ ...base, id: `status-${tag}`, kind: 'status', posts: settings.statusPosts, intervalMs: settings.statusIntervalMs });
    }
  });
  return {
    version: PROTOCOL_VERSION,
    runId: settings.runId,
    node,
    token,
    fingerprint256: settings.fingerprint256,
    controllerAddresses: [...callbackAddresses],
    probes,
    deadlines: settings.deadlines,
    concurrency: settings.agentConcurrency,
  };
}

function sizesFor(proto: CallbackProto, sizes: readonly number[]): number[] {
  if (proto === 'http') return [...sizes];
  const small = sizes.filter((s) => s <= HTTPS_MAX_SIZE);
  return small.length > 0 ? small : sizes.slice(0, 1);
}
