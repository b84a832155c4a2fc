/** Update-manager models: which callbacks each needs per node type, and how a run treats the others. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { diagnoseNode } from '../../controller/diagnose/node.js';
import { unneededCallbacks } from '../../controller/run/node-setup.js';
import { UPDATE_MANAGERS, callbacksNeeded, unneededReason } from '../../src/managers.js';
import { parseProfiles } from '../../src/profile-file.js';
import { BUILT_IN_PROFILES } from '../../src/profiles.js';
import { matrixCell } from '../../src/render/managers.js';
import { classCounts, getExitCode, pathClass, type Report } from '../../src/report.js';
import { evidence, allHttp, httpPath, httpsPath } from '../helpers/diagnose-input.js';

const M = UPDATE_MANAGERS;
const P = BUILT_IN_PROFILES;

// [manager, node type, callbacks needed]: the vendors' tables (src/managers.ts).
const NEEDED: [string, string, string[]][] = [
  ['hpsum6', 'linux', ['http', 'https']],
  ['hpsum6', 'windows', ['http', 'https']],
  ['hpsum6', 'vmware', ['http', 'https']],
  ['hpsum6', 'ilo', ['http']],
  ['hpsum6', 'switch', ['ftp']],
  ['hpsum6', 'integrity', ['http', 'https']],
  ['sum7', 'linux', []],
  ['sum7', 'windows', []],
  ['sum7', 'vmware', ['http']],
  ['sum7', 'ilo', ['http']],
  ['sum7', 'vc', ['http']],
  ['sum7', 'oa', []],
  ['sum7', 'switch', ['http']],
  ['sum7', 'integrity', ['http', 'https']],
  ['sum7', 'superdome-flex', ['https']],
  ['hpsum6', 'superdome-flex', []],
  ['vum', 'superdome-flex', []],
  ['vum', 'vmware', ['http']],
  ['vum', 'linux', []],
  ['openmanage', 'bmc', ['http', 'https']],
  ['openmanage', 'windows', []],
  ['oneview', 'ilo', ['http']],
];

for (const [manager, type, callbacks] of NEEDED) {
  test(`managers: ${manager} needs ${callbacks.join('+') || 'no callback'} from ${type}`, () => {
    assert.deepEqual(callbacksNeeded(M[manager]!, P[type]!), callbacks);
  });
}

test('managers: hpsum6 marks no callback of an agent node type as unneeded (today\'s behaviour)', () => {
  for (const profile of Object.values(P).filter((p) => p.agent)) {
    for (const kind of ['http', 'https', 'ftp'] as const) assert.equal(unneededReason(M.hpsum6!, profile, kind), undefined, `${profile.name} ${kind}`);
  }
});

test('managers: the reason names the manager and the node type, or that the manager does not update it', () => {
  assert.equal(unneededReason(M.sum7!, P.linux!, 'https'), 'HPE SUM 7.3+ needs no https callback from linux nodes');
  assert.equal(unneededReason(M.sum7!, P.vmware!, 'http'), undefined);
  assert.equal(unneededReason(M.vum!, P.windows!, 'http'), 'VMware Update Manager does not update windows nodes');
  assert.deepEqual(unneededCallbacks(M.sum7!, P.vmware!), { https: 'HPE SUM 7.3+ needs no https callback from vmware nodes', ftp: 'HPE SUM 7.3+ needs no ftp callback from vmware nodes' });
});

test('managers: a custom profile is judged by the built-in it extends', () => {
  const profiles = parseProfiles('profiles:\n  esx-lab:\n    extends: vmware\n  lab-ilo:\n    extends: linux\n', 'p.yaml');
  assert.equal(profiles['esx-lab']!.family, 'vmware');
  assert.deepEqual(callbacksNeeded(M.sum7!, profiles['esx-lab']!), ['http']);
  assert.deepEqual(callbacksNeeded(M.sum7!, profiles['lab-ilo']!), []);
});

test('managers: Superdome Flex is a node type of its own: under sum7 its http callback is information, its https callback counts', () => {
  assert.equal(P['superdome-flex']!.agent, false);
  assert.equal(unneededReason(M.sum7!, P['superdome-flex']!, 'http'), 'HPE SUM 7.3+ needs no http callback from superdome-flex nodes');
  assert.equal(unneededReason(M.sum7!, P['superdome-flex']!, 'https'), undefined);
  assert.equal(unneededReason(M.hpsum6!, P['superdome-flex']!, 'https'), 'HP SUM 6.x does not update superdome-flex nodes');
  assert.equal(M.sum7!.notes.some((n) => /custom profile/.test(n)), false, 'no custom profile is needed for it any more');
});

test('managers: the matrix cells give the manager\'s ports, none, or - for a type it does not update', () => {
  assert.equal(matrixCell(M.hpsum6!, P.linux!), '63001,63002');
  assert.equal(matrixCell(M.sum7!, P.linux!), 'none');
  assert.equal(matrixCell(M.vum!, P.vmware!), '9084');
  assert.equal(matrixCell(M.vum!, P.linux!), '-');
  assert.equal(matrixCell(M.oneview!, P.ilo!), '80');
  assert.equal(matrixCell(M.hpsum6!, P.switch!), 'ftp 21');
  assert.equal(matrixCell(M.sum7!, P['superdome-flex']!), '63002');
  assert.equal(matrixCell(M.hpsum6!, P['superdome-flex']!), '-');
});

const reportOf = (...nodes: ReturnType<typeof diagnoseNode>[]): Report => ({ nodes, run: { interrupted: false } } as unknown as Report);

test('managers: a blocked callback the manager does not need is information: the node stays ok and the run exits 0', () => {
  const blockedHttp = allHttp({ outcome: 'timeout', phase: 'connect', ms: 3000 });
  const needed = diagnoseNode(evidence(blockedHttp));
  assert.equal(needed.verdict, 'blocked');
  assert.equal(getExitCode(reportOf(needed)), 1);

  const unneeded = diagnoseNode(evidence(blockedHttp, { unneededCallbacks: unneededCallbacks(M.sum7!, P.linux!) }));
  const path = httpPath(unneeded);
  assert.equal(path.verdict, 'blocked', 'still measured and reported as what it is');
  assert.equal(path.notNeeded, 'HPE SUM 7.3+ needs no http callback from linux nodes');
  assert.equal(pathClass(path), 'info');
  assert.equal(unneeded.verdict, 'ok');
  assert.equal(getExitCode(reportOf(unneeded)), 0);
  assert.deepEqual(classCounts([unneeded]), { faults: 0, warnings: 0, information: 1 });
  assert.equal(pathClass(httpsPath(unneeded)), 'ok', 'an ok path stays ok');
});

test('managers: a callback the manager needs still fails the node under that manager', () => {
  const blockedHttp = allHttp({ outcome: 'timeout', phase: 'connect', ms: 3000 });
  const report = diagnoseNode(evidence(blockedHttp, { profile: 'vmware', unneededCallbacks: unneededCallbacks(M.sum7!, P.vmware!) }));
  assert.equal(httpPath(report).notNeeded, undefined);
  assert.equal(report.verdict, 'blocked');
  assert.equal(getExitCode(reportOf(report)), 1);
});
