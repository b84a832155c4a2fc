/**
 * The flavour modules and their registry: the Python script as sent (plan embedding, 3.6 grammar),
 * `runtime:` in inventories, and `twoway agents`.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { FLAVOUR_PREFERENCE, flavourModule, registeredFlavours } from '../../../controller/agents/index.js';
import { flavourTable, typicalPlan } from '../../../controller/run/agent-sizes.js';
import { stripScript } from '../../../controller/agents/agent-text.js';
import { pythonAgentSource, pythonScript } from '../../../controller/agents/python.js';
import { InputError } from '../../../src/errors.js';
import { parseInventoryText } from '../../../src/inventory/parse.js';

const OPTS = { knownProfiles: ['linux', 'windows'], defaultProfile: 'linux' } as const;
const PYTHON_SOURCE = fileURLToPath(new URL('../../../../agent/python/twoway_agent.py', import.meta.url));

function python(code: string, stdin = ''): { status: number | null; stdout: string; stderr: string } {
  const r = spawnSync('python3', ['-c', code], { input: stdin, encoding: 'utf8' });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

test('python flavour: the plan embedded in the script reads back as the same plan, whatever its strings hold', () => {
  const plan = { ...typicalPlan(), node: 'nœud "quoted" \\ back\u2028slash\ttab' };
  const firstLine = pythonScript(plan).split('\n')[0]!;
  const r = python(`import sys; exec(sys.stdin.read()); sys.stdout.write(TWOWAY_PLAN)`, firstLine);
  assert.equal(r.status, 0, r.stderr);
  assert.deepEqual(JSON.parse(r.stdout), plan);
});

test('python flavour: the agent parses as Python 3.6 grammar, also once its comments are stripped and its constants put in front', () => {
  const source = readFileSync(PYTHON_SOURCE, 'utf8');
  const stripped = stripScript(source, true);
  assert.ok(stripped.length < source.length);
  assert.ok(!/^\s*#/m.test(stripped) && !/\n\s*\n/.test(stripped), 'no comment or blank line left');
  for (const text of [source, stripped, pythonAgentSource()]) {
    const r = python('import ast, sys; ast.parse(sys.stdin.read(), feature_version=(3, 6))', text);
    assert.equal(r.status, 0, r.stderr);
  }
});

test('registry: every flavour is registered, in preference order, each with a remote command', () => {
  const registered = registeredFlavours();
  assert.deepEqual(registered, ['node', 'python', 'sh-curl', 'sh-wget', 'sh-tcp', 'powershell']);
  assert.deepEqual(registered.slice(0, -1), [...FLAVOUR_PREFERENCE]);
  for (const f of registered) {
    const module = flavourModule(f)!;
    assert.equal(module.flavour, f);
    // The detection snippet execs the sh-started ones: one simple command. PowerShell is started directly.
    if (f !== 'powershell') assert.match(module.remoteCommand, /^[A-Za-z0-9_./ -]+$/);
  }
});

test('twoway agents: every flavour listed, best first, with its size as sent', () => {
  const rows = flavourTable();
  assert.deepEqual(rows.map((r) => r.flavour), ['node', 'python', 'sh-curl', 'sh-wget', 'sh-tcp', 'powershell']);
  const plan = typicalPlan();
  for (const row of rows) assert.equal(row.bytesAsSent, Buffer.byteLength(flavourModule(row.flavour).script(plan)), row.flavour);
});

test('inventory: runtime: per node and in defaults; the node\'s own wins', () => {
  const text = ['defaults:', '  runtime: python', 'nodes:', '  - name: a', '    address: 10.0.0.1', '  - name: b', '    address: 10.0.0.2', '    runtime: sh-wget', ''].join('\n');
  const inventory = parseInventoryText(text, 'inv.yaml', OPTS);
  assert.deepEqual(inventory.nodes.map((n) => n.runtime), ['python', 'sh-wget']);
  const none = parseInventoryText('nodes:\n  - name: a\n    address: 10.0.0.1\n', 'inv.yaml', OPTS);
  assert.equal(none.nodes[0]?.runtime, undefined);
});

test('inventory: an unknown runtime names file, line, field and the flavours', () => {
  const text = 'nodes:\n  - name: a\n    address: 10.0.0.1\n    runtime: perl\n';
  assert.throws(
    () => parseInventoryText(text, 'inv.yaml', OPTS),
    (err: unknown) =>
      err instanceof InputError &&
      err.line === 4 &&
      err.field === 'nodes[0].runtime' &&
      err.message.includes('one of node, python, sh-curl, sh-wget, sh-tcp, powershell') &&
      err.message.includes('"perl"'),
  );
});
