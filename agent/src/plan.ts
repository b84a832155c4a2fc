/**
 * Reads the plan the controller put in front of the bundle (globalThis.TWOWAY_PLAN). It was written
 * by our own controller, so a bad plan means a version skew or a bug: the agent refuses it as a
 * whole (a fatal line) instead of guessing.
 */
import { PROTOCOL_VERSION } from '../../src/protocol.js';
import type { CallbackProto, Plan, PlannedProbe } from '../../src/protocol.js';

export type PlanReading = { ok: true; plan: Plan } | { ok: false; problem: string };

class PlanProblem extends Error {}

type Fields = Record<string, unknown>;

function fields(value: unknown, where: string): Fields {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw new PlanProblem(`${where} is not an object`);
  return value as Fields;
}
function text(o: Fields, key: string, where: string): string {
  const v = o[key];
  if (typeof v !== 'string' || v === '') throw new PlanProblem(`${where}.${key} is not a non-empty string`);
  return v;
}
function count(o: Fields, key: string, where: string, min: number, max = Number.MAX_SAFE_INTEGER): number {
  const v = o[key];
  if (typeof v !== 'number' || !Number.isInteger(v) || v < min || v > max) throw new PlanProblem(`${where}.${key} is not an integer from ${min} to ${max}`);
  return v;
}
function optionalCount(o: Fields, key: string, where: string, min: number): number | undefined {
  return o[key] === undefined ? undefined : count(o, key, where, min);
}

/** The token goes into a request header: http.request would throw on a control character. */
function headerValue(value: string, where: string): string {
  if (!/^[\x20-\x7e]+$/.test(value)) throw new PlanProblem(`${where} has characters a header cannot carry`);
  return value;
}

/** Words that go into FTP commands (USER, SIZE, RETR): printable, no spaces. */
function lineValue(value: string, where: string): string {
  if (!/^[\x21-\x7e]+$/.test(value)) throw new PlanProblem(`${where} has characters an FTP command cannot carry`);
  return value;
}

function readProbe(value: unknown, where: string): PlannedProbe {
  const o = fields(value, where);
  const kind = o.kind;
  if (kind !== 'hello' && kind !== 'download' && kind !== 'upload' && kind !== 'status' && kind !== 'hold' && kind !== 'ftp') {
    throw new PlanProblem(`${where}.kind is not hello, download, upload, status, hold or ftp`);
  }
  const proto = o.proto;
  const expected = kind === 'ftp' ? ['ftp'] : ['http', 'https'];
  if (typeof proto !== 'string' || expected.indexOf(proto) === -1) throw new PlanProblem(`${where}.proto is not ${expected.join(' or ')}`);
  const probeProto = proto as CallbackProto;
  // An ftp probe's id goes into SIZE and RETR commands: one printable word.
  const id = kind === 'ftp' ? lineValue(text(o, 'id', where), `${where}.id`) : text(o, 'id', where);
  // Results echo the id, and the controller rejects a result line whose id is longer.
  if (id.length > 64) throw new PlanProblem(`${where}.id is longer than 64 characters`);
  const probe: PlannedProbe = {
    id,
    kind,
    proto: probeProto,
    address: text(o, 'address', where),
    port: count(o, 'port', where, 1, 65535),
  };
  if (o.source !== undefined) probe.source = text(o, 'source', where);
  if (kind === 'download' || kind === 'ftp') {
    probe.size = count(o, 'size', where, 0);
    const sha256 = text(o, 'sha256', where);
    if (!/^[0-9a-fA-F]{64}$/.test(sha256)) throw new PlanProblem(`${where}.sha256 is not 64 hex digits`);
    probe.sha256 = sha256.toLowerCase();
  }
  if (kind === 'ftp') {
    const range = fields(o.dataPorts, `${where}.dataPorts`);
    const first = count(range, 'first', `${where}.dataPorts`, 1, 65535);
    probe.dataPorts = { first, last: count(range, 'last', `${where}.dataPorts`, first, 65535) };
  }
  // The listener checks an upload's SHA-256; the agent only needs to know how much to send.
  if (kind === 'upload') probe.size = count(o, 'size', where, 0);
  if (kind === 'hold') probe.holdMs = count(o, 'holdMs', where, 0);
  if (kind === 'status') {
    const posts = optionalCount(o, 'posts', where, 1);
    const intervalMs = optionalCount(o, 'intervalMs', where, 0);
    if (posts !== undefined) probe.posts = posts;
    if (intervalMs !== undefined) probe.intervalMs = intervalMs;
  }
  return probe;
}

function readPlanFields(value: unknown): Plan {
  const o = fields(value, 'plan');
  if (o.version !== PROTOCOL_VERSION) throw new PlanProblem(`plan.version is ${JSON.stringify(o.version)}, this agent speaks ${PROTOCOL_VERSION}`);
  const d = fields(o.deadlines, 'plan.deadlines');
  const addresses = o.controllerAddresses;
  if (!Array.isArray(addresses) || !addresses.every((a): a is string => typeof a === 'string' && a !== '')) {
    throw new PlanProblem('plan.controllerAddresses is not a list of addresses');
  }
  if (!Array.isArray(o.probes)) throw new PlanProblem('plan.probes is not a list');
  const probes = o.probes.map((p, i) => readProbe(p, `plan.probes[${i}]`));
  const ids = new Set<string>();
  for (const p of probes) {
    if (ids.has(p.id)) throw new PlanProblem(`probe id ${JSON.stringify(p.id)} appears twice`);
    ids.add(p.id);
  }
  return {
    version: PROTOCOL_VERSION,
    runId: text(o, 'runId', 'plan'),
    node: lineValue(text(o, 'node', 'plan'), 'plan.node'),
    token: headerValue(text(o, 'token', 'plan'), 'plan.token'),
    fingerprint256: text(o, 'fingerprint256', 'plan'),
    controllerAddresses: addresses,
    probes,
    deadlines: {
      connectMs: count(d, 'connectMs', 'plan.deadlines', 1),
      stallMs: count(d, 'stallMs', 'plan.deadlines', 1),
      probeMs: count(d, 'probeMs', 'plan.deadlines', 1),
      totalMs: count(d, 'totalMs', 'plan.deadlines', 1),
    },
    concurrency: count(o, 'concurrency', 'plan', 1),
  };
}

export function readPlan(value: unknown): PlanReading {
  if (value === undefined) return { ok: false, problem: 'no plan: globalThis.TWOWAY_PLAN is not set' };
  try {
    return { ok: true, plan: readPlanFields(value) };
  } catch (err) {
    if (err instanceof PlanProblem) return { ok: false, problem: `invalid plan: ${err.message}` };
    throw err;
  }
}
