/**
 * A strict reader of the Prometheus text exposition format (version 0.0.4), as node_exporter's
 * textfile collector reads it: every line is a HELP, a TYPE, or a sample; a family's HELP and TYPE
 * come before its samples, and its samples are contiguous; label names and values are well formed
 * (values escape only \\, \" and \n); no series twice; the file ends with a newline. Throws naming the line.
 */
export interface PromSample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

export interface PromFamily {
  name: string;
  help: string;
  type: string;
  samples: PromSample[];
}

const METRIC_NAME = '[a-zA-Z_:][a-zA-Z0-9_:]*';
const LABEL_NAME = /^[a-zA-Z_][a-zA-Z0-9_]*$/;
const TYPES = new Set(['counter', 'gauge', 'histogram', 'summary', 'untyped']);
const SAMPLE = new RegExp(`^(${METRIC_NAME})(\\{(.*)\\})? (\\S+)$`);
const VALUE = /^([+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?|NaN|[+-]Inf)$/;

function parseLabels(text: string, where: string): Record<string, string> {
  const labels: Record<string, string> = {};
  let i = 0;
  while (i < text.length) {
    const eq = text.indexOf('=', i);
    if (eq < 0) throw new Error(`${where}: label without "="`);
    const name = text.slice(i, eq);
    if (!LABEL_NAME.test(name) || name.startsWith('__')) throw new Error(`${where}: bad label name ${JSON.stringify(name)}`);
    if (name in labels) throw new Error(`${where}: label ${name} twice`);
    if (text[eq + 1] !== '"') throw new Error(`${where}: label value of ${name} not quoted`);
    let value = '';
    let j = eq + 2;
    for (;;) {
      const c = text[j];
      if (c === undefined) throw new Error(`${where}: unterminated value of ${name}`);
      if (c === '"') break;
      if (c === '\n') throw new Error(`${where}: raw line feed in ${name}`);
      if (c === '\\') {
        const next = text[j + 1];
        if (next === '\\') value += '\\';
        else if (next === '"') value += '"';
        else if (next === 'n') value += '\n';
        else throw new Error(`${where}: bad escape \\${next ?? ''} in ${name}`);
        j += 2;
        continue;
      }
      value += c;
      j += 1;
    }
    labels[name] = value;
    i = j + 1;
    if (i < text.length) {
      if (text[i] !== ',') throw new Error(`${where}: expected "," after label ${name}`);
      i += 1;
    }
  }
  return labels;
}

export function parseProm(text: string): Map<string, PromFamily> {
  if (!text.endsWith('\n')) throw new Error('the file does not end with a line feed');
  const families = new Map<string, PromFamily>();
  const series = new Set<string>();
  let current: PromFamily | undefined;
  text
    .slice(0, -1)
    .split('\n')
    .forEach((line, index) => {
      const where = `line ${index + 1}`;
      const help = new RegExp(`^# HELP (${METRIC_NAME}) (.*)$`).exec(line);
      const type = new RegExp(`^# TYPE (${METRIC_NAME}) (\\S+)$`).exec(line);
      if (help !== null) {
        if (families.has(help[1]!)) throw new Error(`${where}: family ${help[1]} declared twice`);
        current = { name: help[1]!, help: help[2]!, type: '', samples: [] };
        families.set(current.name, current);
      } else if (type !== null) {
        if (current === undefined || current.name !== type[1] || current.type !== '' || current.samples.length > 0) throw new Error(`${where}: TYPE ${type[1]} not right after its HELP`);
        if (!TYPES.has(type[2]!)) throw new Error(`${where}: unknown type ${type[2]}`);
        current.type = type[2]!;
      } else if (line.startsWith('#') || line.trim() === '') {
        throw new Error(`${where}: neither HELP, TYPE nor a sample: ${JSON.stringify(line)}`);
      } else {
        const m = SAMPLE.exec(line);
        if (m === null) throw new Error(`${where}: not a sample: ${JSON.stringify(line)}`);
        if (current === undefined || current.name !== m[1] || current.type === '') throw new Error(`${where}: sample of ${m[1]} outside its family`);
        if (!VALUE.test(m[4]!)) throw new Error(`${where}: bad value ${m[4]}`);
        const labels = parseLabels(m[3] ?? '', where);
        const key = `${m[1]}${JSON.stringify(Object.entries(labels).sort())}`;
        if (series.has(key)) throw new Error(`${where}: series twice: ${line}`);
        series.add(key);
        current.samples.push({ name: m[1]!, labels, value: Number(m[4]!.replace('Inf', 'Infinity')) });
      }
    });
  return families;
}
