/** Callers of the loopback test listener from chosen source addresses (127.0.0.x), and a node's small plan. */
import assert from 'node:assert/strict';
import * as http from 'node:http';
import { PROTOCOL_VERSION, type Plan } from '../../src/protocol.js';
import type { TestListener } from './listener-harness.js';

/** A node's plan with one hello per protocol on the listener's ports (the listener's address is 127.0.0.1). */
export function nodePlan(harness: TestListener, node: string): Plan {
  const { listener, tokens, cert } = harness;
  const at = (proto: 'http' | 'https') => ({ proto, address: '127.0.0.1', port: listener.portFor(proto) });
  return {
    version: PROTOCOL_VERSION,
    runId: 't',
    node,
    token: tokens.tokenFor(node),
    fingerprint256: cert.fingerprint256,
    controllerAddresses: ['127.0.0.1'],
    probes: [
      { ...at('http'), id: 'hello-http-0', kind: 'hello' },
      { ...at('https'), id: 'hello-https-0', kind: 'hello' },
    ],
    deadlines: { connectMs: 1000, stallMs: 1000, probeMs: 5000, totalMs: 10_000 },
    concurrency: 2,
  };
}

/** One GET over a new connection from `localAddress`: the status, the body and the local port it used. */
export function get(port: number, path: string, headers: Record<string, string>, localAddress: string): Promise<{ status: number; body: string; localPort: number }> {
  return new Promise((resolve, reject) => {
    const req = http.request({ host: '127.0.0.1', port, path, headers, localAddress, agent: false });
    let localPort = 0;
    req.on('socket', (s) => s.once('connect', () => (localPort = s.localPort ?? 0)));
    req.on('response', (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => (body += c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body, localPort }));
    });
    req.on('error', reject);
    req.end();
  });
}

/** Polls `found` every 20 ms until it returns something (at most `polls` times). */
export async function until<T>(found: () => T | undefined, polls = 100): Promise<T> {
  for (let i = 0; i < polls; i++) {
    const value = found();
    if (value !== undefined) return value;
    await new Promise((r) => setTimeout(r, 20));
  }
  return assert.fail(`not within ${polls} polls`);
}
