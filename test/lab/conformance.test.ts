/**
 * Agent conformance in the lab (issue 6): every flavour that can run here reaches the same verdicts
 * on the same faults. (a) The single-runtime nodes are each detected as their flavour and diagnosed
 * like the healthy Node node; (b) a set of fault scenarios run with each flavour forced
 * (--runtime) gets the lab table's verdicts, path for path the same as with node. The flavours come
 * from the registry, so the sh flavours join once they are part of the build. Needs root.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { registeredFlavours } from '../../controller/agents/index.js';
import { checkLabReport } from '../../controller/lab/expectations.js';
import { labDown, labScenarios, labUp } from '../../controller/lab/index.js';
import { labIdleHoldSeconds } from '../../controller/lab/params.js';
import type { LabScenario } from '../../controller/lab/scenarios-model.js';
import type { NodeReport, PathReport, Report } from '../../src/report.js';
import { labInventoryOf } from './lab-inventory.js';
import { runTwoway } from './lab-run.js';

/** Flavours the lab's ordinary nodes can run: everything registered but PowerShell. */
const FLAVOURS = registeredFlavours().filter((f) => f !== 'powershell');
const FAULT_NODES = ['healthy', 'reject', 'return-acl', 'mtu', 'idle', 'dual'];
const ONE_RUNTIME_NODES = ['only-python', 'only-curl', 'only-wget'];

let inventory = '';
let work = '';
/** The idle hold past this lab's drawn idle timeout. */
let holdSeconds = 0;
let scenarios: readonly LabScenario[] = [];

before(async () => {
  work = mkdtempSync(join(tmpdir(), 'twoway-conformance-'));
  const up = await labUp();
  inventory = up.paths.inventory;
  holdSeconds = labIdleHoldSeconds(up.params);
  scenarios = labScenarios(up.params);
});
after(async () => {
  await labDown();
  rmSync(work, { recursive: true, force: true });
});

function scenario(name: string): LabScenario {
  const s = scenarios.find((x) => x.node === name);
  assert.ok(s, `scenario ${name}`);
  return s;
}

function inventoryOf(names: readonly string[]): string {
  return labInventoryOf(inventory, work, names);
}

function run(name: string, nodes: readonly string[], extra: string[]): Report {
  const r = runTwoway(work, name, inventoryOf(nodes), extra);
  assert.ok(r.code === 0 || r.code === 1, `twoway run exit ${r.code}: ${r.stderr}`);
  return r.report;
}

/** Every path by a key that does not depend on the agent: direction, port, protocol, addresses. */
function pathsByKey(node: NodeReport, withAddresses = true): Map<string, PathReport> {
  return new Map(node.paths.map((p) => [withAddresses ? `${p.direction} ${p.from} -> ${p.to}:${p.port}/${p.proto}` : `${p.direction} ${p.port}/${p.proto}`, p]));
}

/**
 * A flavour agrees with the Node agent when each path has the same verdict, or says "not measured"
 * because the flavour declared it cannot measure that (evidence.unsupported): never another verdict.
 * Returns the disagreements, and how many paths were declared unmeasurable.
 */
function compareWithNode(flavourNode: NodeReport, reference: NodeReport, withAddresses = true): { problems: string[]; unmeasurable: number } {
  const ours = pathsByKey(flavourNode, withAddresses);
  const theirs = pathsByKey(reference, withAddresses);
  const problems: string[] = [];
  let unmeasurable = 0;
  assert.deepEqual([...ours.keys()].sort(), [...theirs.keys()].sort(), `${flavourNode.name}: the same paths as with node`);
  for (const [key, p] of ours) {
    const expected = theirs.get(key)!.verdict;
    if (p.verdict === expected) continue;
    if (p.verdict === 'not-measured' && p.evidence.kind === 'probe' && p.evidence.unsupported === true) unmeasurable += 1;
    else problems.push(`${key}: ${p.verdict} (${p.summary}), node says ${expected}`);
  }
  return { problems, unmeasurable };
}

function byName(report: Report, name: string): NodeReport {
  const n = report.nodes.find((x) => x.name === name);
  assert.ok(n, `${name} in the report`);
  return n;
}

test('conformance: each single-runtime node is detected as its flavour and diagnosed like the healthy node node', () => {
  const report = run('one-runtime', ['healthy', ...ONE_RUNTIME_NODES], []);
  const scenarios = ['healthy', ...ONE_RUNTIME_NODES].map(scenario);
  assert.deepEqual(checkLabReport(report, scenarios).filter((c) => !c.ok), [], 'the lab table\'s verdicts');
  const healthy = byName(report, 'healthy');
  assert.equal(healthy.agent?.flavour, 'node');
  const lines = [`healthy: node, ${healthy.agent?.scriptBytes} bytes`];
  for (const s of ONE_RUNTIME_NODES.map(scenario)) {
    const node = byName(report, s.node);
    assert.equal(node.agent?.flavour, s.agentFlavour, `${s.node} ran the ${s.agentFlavour} agent`);
    assert.ok((node.agent?.scriptBytes ?? 0) > 0, `${s.node}: size as sent reported`);
    const { problems, unmeasurable } = compareWithNode(node, healthy, false);
    assert.deepEqual(problems, [], `${s.node}: the same path verdicts as the Node node, or not measured where ${s.agentFlavour} cannot`);
    lines.push(`${s.node}: ${node.agent?.flavour}, ${node.agent?.scriptBytes} bytes, ${node.verdict}, ${unmeasurable} path(s) it cannot measure`);
  }
  console.log(lines.join('\n'));
});

test('conformance: every flavour forced on the same faults gets the Node agent\'s verdicts wherever it can measure', () => {
  // The idle hold is a run of its own: without it every flavour can judge these faults in full.
  const runs = [
    { label: 'faults', nodes: FAULT_NODES.filter((n) => n !== 'idle'), extra: [] as string[] },
    { label: 'idle-hold', nodes: ['idle'], extra: ['--idle-hold', String(holdSeconds)] },
  ];
  for (const { label, nodes, extra } of runs) {
    const reference = run(`${label}-node`, nodes, ['--runtime', 'node', ...extra]);
    assert.deepEqual(checkLabReport(reference, nodes.map(scenario)).filter((c) => !c.ok), [], `node (${label}): the lab table's verdicts`);
    for (const flavour of FLAVOURS.filter((f) => f !== 'node')) {
      const report = run(`${label}-${flavour}`, nodes, ['--runtime', flavour, ...extra]);
      const summary: string[] = [];
      for (const name of nodes) {
        const node = byName(report, name);
        assert.equal(node.agent?.flavour, flavour, `${name} ran the forced ${flavour} agent`);
        const { problems, unmeasurable } = compareWithNode(node, byName(reference, name));
        assert.deepEqual(problems, [], `${flavour} on ${name} (${label}): the Node agent's verdicts, or not measured where it cannot`);
        // Python and sh-curl measure everything but the hold: on these faults they must agree in full.
        if (label === 'faults' && (flavour === 'python' || flavour === 'sh-curl')) assert.equal(unmeasurable, 0, `${flavour} on ${name}: measures every path`);
        summary.push(`${name}=${node.verdict}${unmeasurable > 0 ? ` (${unmeasurable} not measurable)` : ''}`);
      }
      console.log(`${flavour} (${label}): ${summary.join(' ')}`);
    }
  }
});
