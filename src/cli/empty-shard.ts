/**
 * A shard of the inventory can hold no node at all (three nodes split four ways). Its controller
 * then starts no listener and tests nothing, but still writes its report, with no nodes and the
 * run's settings, so `twoway merge` sees every shard of the split accounted for.
 */
import { randomBytes } from 'node:crypto';
import type { RunOptions } from '../../controller/run/run.js';
import { REPORT_VERSION, summarise, type Report } from '../report.js';
import type { Shard } from '../shard.js';

export function emptyShardReport(options: RunOptions, shard: Shard, now: Date = new Date()): Report {
  const at = now.toISOString();
  return {
    version: REPORT_VERSION,
    run: {
      id: `${at.replace(/[-:]/g, '').slice(0, 15)}-${randomBytes(3).toString('hex')}`,
      startedAt: at,
      finishedAt: at,
      ms: 0,
      interrupted: false,
      shard,
      controller: { listeners: [], fingerprint256: '' },
      settings: {
        sizes: options.sizes,
        concurrency: options.concurrency,
        httpPort: options.httpPort,
        httpsPort: options.httpsPort,
        idleHoldMs: options.idleHoldMs,
        firmwareBytes: options.thresholds.firmwareBytes,
        alternates: { unavailable: [] },
        minMbps: options.thresholds.minMbps,
        agentTimeoutMs: options.deadlines.totalMs,
        forwardTimeoutMs: options.forwardTimeoutMs,
      },
      strayRequests: 0,
      listenerPeers: {},
      halfOpenSampled: false,
    },
    nodes: [],
    findings: [],
    summary: summarise([]),
  };
}
