/**
 * JUnit XML for CI systems: one <testsuite> per node, one <testcase> per path, plus one testcase per
 * node for the SSH session and agent ("session"), so a node-level fault has a place of its own.
 *
 * Mapping (VERDICTS[kind].harness tells harness faults from network faults):
 * - a failing network verdict on a path          -> <failure type="KIND">
 * - SSH or agent failed (the node's nodeVerdict)  -> <error type="KIND"> on the node's "session" testcase
 * - not-measured because the session failed       -> <skipped>: the session's <error> already counts it
 * - a warning (not-measured with a working session, slow, path-outage, ...) and information on a callback the
 *   update manager does not need -> written to the case's system-out: neither failure nor error, as twoway
 *   does not exit 1 for them
 * So the JUnit file is green exactly when the run found no fault (its own exit 0; --baseline may still pass a run with known faults).
 */
import { findingFor, type NodeReport, type PathReport, type Report } from '../report.js';
import { VERDICTS } from '../verdicts.js';
import { pathLabel } from './labels.js';
import { STRAYS_TITLE, strayLines } from './strays.js';

/** XML 1.0 forbids most control characters even escaped; agent stderr can carry them (ANSI colours). */
function xmlSafe(text: string): string {
  return text.replace(/[\u0000-\u0008\u000B\u000C\u000E-\u001F\uFFFE\uFFFF]/g, (c) => `\\x${c.charCodeAt(0).toString(16).padStart(2, '0')}`);
}

function escapeText(text: string): string {
  return xmlSafe(text).replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

function escapeAttr(text: string): string {
  return escapeText(text).replace(/"/g, '&quot;').replace(/\n/g, '&#10;').replace(/\r/g, '&#13;').replace(/\t/g, '&#9;');
}

function attrs(values: Record<string, string | number>): string {
  return Object.entries(values)
    .map(([k, v]) => ` ${k}="${escapeAttr(String(v))}"`)
    .join('');
}

function seconds(ms: number): string {
  return (ms / 1000).toFixed(3);
}

/** warning: written to the case's system-out, counted neither as failure nor error, so the file is green exactly when the exit code is 0. */
type Outcome = { tag: 'failure' | 'error' | 'skipped' | 'warning'; type: string; message: string; body: string } | undefined;

function pathOutcome(report: Report, node: NodeReport, p: PathReport): Outcome {
  const info = VERDICTS[p.verdict];
  if (info.severity === 0) return undefined;
  if (p.verdict === 'not-measured' && node.nodeVerdict !== undefined) {
    return { tag: 'skipped', type: p.verdict, message: `not measured: the node's session failed (${node.nodeVerdict})`, body: '' };
  }
  if (info.class === 'warning') return { tag: 'warning', type: p.verdict, message: `warning: ${p.verdict}: ${info.title}: ${p.summary}`, body: '' };
  if (p.notNeeded !== undefined) return { tag: 'warning', type: p.verdict, message: `information: ${p.verdict}: ${info.title}: ${p.summary} (${p.notNeeded})`, body: '' };
  const shared = findingFor(report.findings, node, p);
  const body = [
    p.summary,
    shared === undefined ? `fix: ${info.hint}` : `shared cause: ${shared.summary}`,
    `evidence: ${JSON.stringify(p.evidence, null, 2)}`,
  ].join('\n');
  return { tag: info.harness ? 'error' : 'failure', type: p.verdict, message: `${info.title}: ${p.summary}`, body };
}

function sessionOutcome(node: NodeReport): Outcome {
  if (node.nodeVerdict === undefined) return undefined;
  const info = VERDICTS[node.nodeVerdict];
  const body = [info.explanation, `fix: ${info.hint}`, `evidence: ${JSON.stringify(node.nodeEvidence ?? {}, null, 2)}`].join('\n');
  const stderr = node.nodeEvidence?.kind === 'session' ? (node.nodeEvidence.stderr.trim().split('\n').at(-1) ?? '') : '';
  return { tag: 'error', type: node.nodeVerdict, message: stderr === '' ? info.title : `${info.title}: ${stderr}`, body };
}

function testcase(name: string, classname: string, outcome: Outcome): string {
  const open = `    <testcase${attrs({ name, classname, time: '0.000' })}`;
  if (outcome === undefined) return `${open}/>`;
  const inner =
    outcome.tag === 'skipped'
      ? `<skipped${attrs({ message: outcome.message })}/>`
      : outcome.tag === 'warning'
        ? `<system-out>${escapeText(outcome.message)}</system-out>`
        : `<${outcome.tag}${attrs({ message: outcome.message, type: outcome.type })}>${escapeText(outcome.body)}</${outcome.tag}>`;
  return `${open}>\n      ${inner}\n    </testcase>`;
}

interface Counts {
  tests: number;
  failures: number;
  errors: number;
  skipped: number;
}

function suite(report: Report, node: NodeReport): { xml: string; counts: Counts } {
  const classname = `twoway.${node.name}`;
  const cases: [string, Outcome][] = [['session', sessionOutcome(node)], ...node.paths.map((p): [string, Outcome] => [pathLabel(p), pathOutcome(report, node, p)])];
  const counts: Counts = { tests: cases.length, failures: 0, errors: 0, skipped: 0 };
  for (const [, o] of cases) {
    if (o?.tag === 'failure') counts.failures += 1;
    if (o?.tag === 'error') counts.errors += 1;
    if (o?.tag === 'skipped') counts.skipped += 1;
  }
  const properties = [
    ['verdict', node.verdict],
    ['profile', node.profile],
    ['addresses', node.addresses.join(' ')],
    ...(node.agent === undefined ? [] : [['agent', `${node.agent.flavour} ${node.agent.version} (${node.agent.runtime}, ${node.agent.platform})`]]),
  ]
    .map(([name, value]) => `      <property${attrs({ name: name!, value: value! })}/>`)
    .join('\n');
  const open = `  <testsuite${attrs({ name: node.name, ...counts, time: seconds(node.ms), timestamp: report.run.startedAt, hostname: node.addresses[0] ?? node.name })}>`;
  const xml = [open, '    <properties>', properties, '    </properties>', ...cases.map(([name, o]) => testcase(name, classname, o)), '  </testsuite>'].join('\n');
  return { xml, counts };
}

/** The listener's strays: a suite of its own with one passing case whose system-out warns (never a failure). */
function straySuite(report: Report): { xml: string; counts: Counts } | undefined {
  const lines = strayLines(report);
  if (lines.length === 0) return undefined;
  const counts: Counts = { tests: 1, failures: 0, errors: 0, skipped: 0 };
  const open = `  <testsuite${attrs({ name: 'listener', ...counts, time: '0.000', timestamp: report.run.startedAt, hostname: 'controller' })}>`;
  const outcome: Outcome = { tag: 'warning', type: 'strays', message: `warning: ${STRAYS_TITLE}\n${lines.join('\n')}`, body: '' };
  return { xml: [open, testcase('strays', 'twoway.listener', outcome), '  </testsuite>'].join('\n'), counts };
}

export function renderJunit(report: Report): string {
  const strays = straySuite(report);
  const suites = [...report.nodes.map((n) => suite(report, n)), ...(strays === undefined ? [] : [strays])];
  const total = suites.reduce<Counts>(
    (a, s) => ({ tests: a.tests + s.counts.tests, failures: a.failures + s.counts.failures, errors: a.errors + s.counts.errors, skipped: a.skipped + s.counts.skipped }),
    { tests: 0, failures: 0, errors: 0, skipped: 0 },
  );
  const name = `twoway run ${report.run.id}${report.run.interrupted ? ' (interrupted)' : ''}`;
  return [
    '<?xml version="1.0" encoding="UTF-8"?>',
    `<testsuites${attrs({ name, ...total, time: seconds(report.run.ms), timestamp: report.run.startedAt })}>`,
    ...suites.map((s) => s.xml),
    '</testsuites>',
    '',
  ].join('\n');
}
