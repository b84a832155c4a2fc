/**
 * Properties of the plan encoders, one per agent flavour: the plan embedded in each script decodes,
 * as the node's interpreter reads it, back to the same plan (whatever its strings hold). Node and
 * Python are the real interpreters (Python is run once per batch of plans, so a batch is one case);
 * the sh assignments are read by dash and busybox sh, and must give back every field the sh agent
 * takes, or be refused with a SetupError naming the field; PowerShell is not on this machine, so its
 * here-string is checked for what PowerShell would read: the one JSON line between the markers.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { agentScript } from '../../../controller/agents/deploy.js';
import { powershellAgent } from '../../../controller/agents/powershell.js';
import { pythonScript } from '../../../controller/agents/python.js';
import { renderShPlan } from '../../../controller/agents/sh.js';
import { SetupError } from '../../../src/errors.js';
import { PROTOCOL_VERSION, type Plan, type PlannedProbe } from '../../../src/protocol.js';
import { RUNS, check } from '../../helpers/property.js';

/** Mostly realistic values (the sh agent takes them), now and then any text at all (it must refuse what it cannot carry). */
const either = (realistic: fc.Arbitrary<string>) => fc.oneof({ weight: 19, arbitrary: realistic }, { weight: 1, arbitrary: fc.string({ unit: 'binary', maxLength: 20 }) });
const address = either(fc.oneof(fc.ipV4(), fc.ipV6()));
const count = fc.integer({ min: 0, max: 2 ** 31 });
const probe: fc.Arbitrary<PlannedProbe> = fc.record(
  {
    id: either(fc.stringMatching(/^[A-Za-z0-9._:-]{1,64}$/)),
    kind: fc.constantFrom('hello', 'download', 'upload', 'status', 'hold', 'ftp'),
    proto: fc.constantFrom('http', 'https', 'ftp'),
    address,
    port: fc.integer({ min: 0, max: 65535 }),
    source: address,
    size: count,
    sha256: either(fc.stringMatching(/^[0-9a-fA-F]{64}$/)),
    posts: count,
    intervalMs: count,
    holdMs: count,
    dataPorts: fc.record({ first: fc.integer({ min: 1, max: 65535 }), last: fc.integer({ min: 1, max: 65535 }) }),
    alternate: fc.boolean(),
  },
  { requiredKeys: ['id', 'kind', 'proto', 'address', 'port'] },
);
const plan: fc.Arbitrary<Plan> = fc.record(
  {
    version: fc.constant(PROTOCOL_VERSION),
    runId: either(fc.stringMatching(/^\d{8}T\d{6}-[0-9a-f]{6}$/)),
    node: fc.string({ unit: 'binary', maxLength: 30 }),
    token: either(fc.base64String({ minLength: 4, maxLength: 44 })),
    fingerprint256: either(fc.stringMatching(/^([0-9A-F]{2}:){3}[0-9A-F]{2}$/)),
    spkiSha256Base64: either(fc.base64String({ minLength: 4, maxLength: 44 })),
    controllerAddresses: fc.array(address, { minLength: 1, maxLength: 3 }),
    probes: fc.array(probe, { maxLength: 4 }),
    deadlines: fc.record({ connectMs: count, stallMs: count, probeMs: count, totalMs: count }),
    concurrency: fc.integer({ min: 0, max: 64 }),
  },
  { requiredKeys: ['version', 'runId', 'node', 'token', 'fingerprint256', 'controllerAddresses', 'probes', 'deadlines', 'concurrency'] },
);

/** The plan as JSON sees it: plain objects (fc.record sometimes makes prototype-less ones). */
const plain = (p: Plan): Plan => JSON.parse(JSON.stringify(p)) as Plan;
/** Plans per interpreter run, and runs: RUNS plans in all. */
const BATCH = 50;
const batches = { numRuns: Math.max(1, Math.ceil(RUNS / BATCH)) };

function run(command: string, args: string[], input: string): string {
  const r = spawnSync(command, args, { input, encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
  assert.equal(r.status, 0, `${command}: ${r.stderr}`);
  return r.stdout;
}

describe('plan encoding properties: each flavour\'s script carries the plan exactly', () => {
  it('node: the TWOWAY_PLAN line, run as JavaScript, is the plan', () => {
    check(
      fc.property(plan, (p) => {
        const [line = ''] = agentScript(p).split('\n');
        // The line assigns globalThis.TWOWAY_PLAN; given a stand-in global, it runs in this realm.
        const holder: { TWOWAY_PLAN?: unknown } = {};
        new Function('globalThis', line)(holder);
        assert.deepStrictEqual(holder.TWOWAY_PLAN, plain(p));
      }),
    );
  });

  it('python: the TWOWAY_PLAN string literal, read by python3, is the plan\'s JSON', () => {
    // Read as `python3 -` reads its script (UTF-8 source), one plan line at a time; written back as ASCII JSON.
    const program = [
      'import json, sys',
      "for line in sys.stdin.buffer.read().decode('utf-8').split('\\n'):",
      '    if line:',
      '        scope = {}',
      '        exec(line, scope)',
      "        sys.stdout.write(json.dumps(json.loads(scope['TWOWAY_PLAN'])) + '\\n')",
    ].join('\n');
    check(
      fc.property(fc.array(plan, { minLength: BATCH, maxLength: BATCH }), (plans) => {
        const lines = plans.map((p) => pythonScript(p).split('\n')[0]);
        const decoded = run('python3', ['-c', program], `${lines.join('\n')}\n`).split('\n').slice(0, -1).map((l) => JSON.parse(l) as unknown);
        assert.deepStrictEqual(decoded, plans.map(plain));
      }),
      batches,
    );
  });

  for (const shell of [['dash'], ['busybox', 'sh']]) {
    it(`sh (${shell.join(' ')}): the TW_* assignments give back every field the sh agent takes, or the plan is refused naming the field`, () => {
      const VARS = ['TW_FLAVOUR', 'TW_TOKEN', 'TW_NODE_JSON', 'TW_SPKI', 'TW_CONNECT_MS', 'TW_STALL_MS', 'TW_PROBE_MS', 'TW_TOTAL_MS', 'TW_CONC', 'TW_CONTROLLERS', 'TW_PROBES'];
      check(
        fc.property(fc.array(plan, { minLength: BATCH, maxLength: BATCH }), (plans) => {
          const rendered = plans.flatMap((p) => {
            try {
              return [{ p, text: renderShPlan(p, 'sh-curl') }];
            } catch (err) {
              assert.ok(err instanceof SetupError && /^plan field \S+ /.test(err.message), String(err));
              return [];
            }
          });
          // Each plan in a subshell: its values, separated by RS, plans by GS (neither can be in a value).
          const script = rendered.map(({ text }) => `(\n${text}printf '%s\\036' ${VARS.map((v) => `"$${v}"`).join(' ')}; printf '\\035')\n`).join('');
          const out = run(shell[0]!, [...shell.slice(1), '-s'], script).split('\x1d').slice(0, -1);
          assert.equal(out.length, rendered.length);
          out.forEach((record, i) => {
            const [flavour, token, nodeJson, spki, connectMs, stallMs, probeMs, totalMs, conc, controllers, probes] = record.split('\x1e');
            const p = rendered[i]!.p;
            assert.deepStrictEqual(
              { flavour, token, node: JSON.parse(nodeJson!) as unknown, spki, deadlines: [connectMs, stallMs, probeMs, totalMs].map(Number), conc: Number(conc), controllers, probes: probes === '' ? [] : probes!.split('\n') },
              {
                flavour: 'sh-curl',
                token: p.token,
                node: p.node,
                spki: p.spkiSha256Base64 ?? '',
                deadlines: [p.deadlines.connectMs, p.deadlines.stallMs, p.deadlines.probeMs, p.deadlines.totalMs],
                conc: Math.max(1, p.concurrency),
                controllers: p.controllerAddresses.join(' '),
                probes: p.probes.map((q) =>
                  [q.id, q.kind, q.proto, q.address, q.port, q.source, q.size, q.sha256?.toLowerCase(), q.posts, q.intervalMs].map((v) => (v === undefined ? '-' : String(v))).join(' '),
                ),
              },
            );
          });
        }),
        batches,
      );
    });
  }

  it('powershell: one ASCII JSON line inside a literal here-string, which is the plan', () => {
    check(
      fc.property(plan, (p) => {
        const [open, json = '', close] = powershellAgent.script(p).split('\n');
        assert.equal(open, "$Plan = ConvertFrom-Json @'");
        assert.equal(close, "'@");
        // A here-string ends only at a line starting with '@; the JSON is one ASCII line with no CR.
        assert.match(json, /^\{[\x20-\x7e]*\}$/);
        assert.deepStrictEqual(JSON.parse(json), plain(p));
      }),
    );
  });
});
