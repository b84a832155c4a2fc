/**
 * A strict reader of the TAP 14 subset twoway writes: the version line, a plan, test points,
 * `# Subtest:` children indented four spaces (with their own plan), YAML diagnostics indented two
 * spaces under a point. Anything else throws, naming the line, so a test fails on malformed output.
 */
import { parse } from 'yaml';

export interface TapPoint {
  ok: boolean;
  number: number;
  description: string;
  directive?: string;
  diagnostics?: Record<string, unknown>;
  children?: TapPoint[];
}

const POINT = /^(not ok|ok) (\d+) - (.*?)(?: # (SKIP|TODO)(?: (.*))?)?$/;

function readStream(lines: string[], at: { i: number }, indent: string): TapPoint[] {
  const points: TapPoint[] = [];
  let plan: number | undefined;
  let pendingChild: { name: string; points: TapPoint[] } | undefined;
  while (at.i < lines.length) {
    const raw = lines[at.i]!;
    if (!raw.startsWith(indent) || (indent === '' ? false : raw.length === 0)) break;
    const line = raw.slice(indent.length);
    if (line.startsWith('    ')) throw new Error(`line ${at.i + 1}: indented without a "# Subtest:" before it: ${raw}`);
    at.i += 1;
    const planned = /^1\.\.(\d+)$/.exec(line);
    if (planned !== null) {
      if (plan !== undefined) throw new Error(`line ${at.i}: a second plan`);
      plan = Number(planned[1]);
      continue;
    }
    const subtest = /^# Subtest: (.+)$/.exec(line);
    if (subtest !== null) {
      pendingChild = { name: subtest[1]!, points: readStream(lines, at, `${indent}    `) };
      continue;
    }
    if (line.startsWith('#')) continue;
    const m = POINT.exec(line);
    if (m === null) throw new Error(`line ${at.i}: not a TAP 14 line: ${raw}`);
    const point: TapPoint = { ok: m[1] === 'ok', number: Number(m[2]), description: m[3]!, ...(m[4] === undefined ? {} : { directive: `${m[4]}${m[5] === undefined ? '' : ` ${m[5]}`}` }) };
    if (point.number !== points.length + 1) throw new Error(`line ${at.i}: test point ${point.number} out of order`);
    if (pendingChild !== undefined) {
      point.children = pendingChild.points;
      pendingChild = undefined;
    }
    if (lines[at.i] === `${indent}  ---`) {
      const end = lines.indexOf(`${indent}  ...`, at.i);
      if (end < 0) throw new Error(`line ${at.i + 1}: YAML diagnostics without "..."`);
      point.diagnostics = parse(lines.slice(at.i + 1, end).map((l) => {
        if (!l.startsWith(`${indent}  `)) throw new Error(`YAML line not indented two spaces: ${l}`);
        return l.slice(indent.length + 2);
      }).join('\n')) as Record<string, unknown>;
      at.i = end + 1;
    }
    points.push(point);
  }
  if (plan === undefined) throw new Error(`stream at indent ${indent.length} has no plan`);
  if (plan !== points.length) throw new Error(`plan 1..${plan} but ${points.length} test points`);
  return points;
}

export function parseTap(text: string): TapPoint[] {
  const lines = text.replace(/\n$/, '').split('\n');
  if (lines[0] !== 'TAP version 14') throw new Error('the first line is not "TAP version 14"');
  const at = { i: 1 };
  const points = readStream(lines, at, '');
  if (at.i !== lines.length) throw new Error(`line ${at.i + 1}: unexpected: ${lines[at.i]}`);
  return points;
}
