/**
 * The portable agents take every protocol constant from src/protocol.ts (controller/agents/wire-constants.ts
 * assigns them in front of each script): the generated assignments hold the protocol's values, in
 * each language as its interpreter reads them; each script carries only the names it uses; and no
 * agent source types a code, outcome, phase, kind, path or header by hand.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { stripScript } from '../../../controller/agents/agent-text.js';
import { powershellAgentText } from '../../../controller/agents/powershell.js';
import { pythonAgentSource } from '../../../controller/agents/python.js';
import { shCurlAgent } from '../../../controller/agents/sh.js';
import { typicalPlan } from '../../../controller/run/agent-sizes.js';
import { renderWireConstants, WIRE_CONSTANTS, wireConstantsUsedBy, type ScriptLanguage } from '../../../controller/agents/wire-constants.js';
import * as mtu from '../../../src/mtu-bisect.js';
import * as protocol from '../../../src/protocol.js';
import { scriptWords } from '../../helpers/script-words.js';

const AGENTS: ReadonlyArray<{ language: ScriptLanguage; file: string; asSent: () => string }> = [
  { language: 'python', file: 'python/twoway_agent.py', asSent: pythonAgentSource },
  { language: 'sh', file: 'sh/twoway-agent.sh', asSent: () => shCurlAgent.script(typicalPlan()) },
  { language: 'powershell', file: 'powershell/twoway-agent.ps1', asSent: powershellAgentText },
];
const sourceOf = (file: string): string => readFileSync(fileURLToPath(new URL(`../../../../agent/${file}`, import.meta.url)), 'utf8');

/** "tls-mismatch" and "connectTimeout" -> TLS_MISMATCH and CONNECT_TIMEOUT: the names the agents use. */
const upper = (key: string): string => key.replace(/([a-z])([A-Z])/g, '$1_$2').replace(/-/g, '_').toUpperCase();

/** Every constant a portable agent may need, by name, read from src/protocol.ts's own objects. */
function expectedConstants(): Map<string, string | number> {
  const expected = new Map<string, string | number>([
    ['PROTOCOL_VERSION', protocol.PROTOCOL_VERSION],
    ['TOKEN_HEADER', protocol.TOKEN_HEADER],
    ['UPLOAD_LINE', protocol.UPLOAD_LINE],
    ['UPLOAD_CORRUPT_STATUS', protocol.UPLOAD_CORRUPT_STATUS],
    ['MAX_HOLD_MESSAGE_BYTES', protocol.MAX_HOLD_MESSAGE_BYTES],
    ['MAX_MTU_PROBES', mtu.MAX_MTU_PROBES],
    ['DEFAULT_MTU_CEILING', mtu.DEFAULT_MTU_CEILING],
    ['ECHO_WAIT_SEC', mtu.ECHO_WAIT_SEC],
  ]);
  const records: Array<[string, Record<string, string | number>]> = [
    ['PATH', protocol.PATHS],
    ['HOLD', protocol.HOLD_MESSAGES],
    ['CODE', protocol.AGENT_ERROR_CODES],
    ['LIMIT', protocol.EVENT_LIMITS],
    ['MTU_FLOOR', mtu.MTU_FLOOR],
    ['ECHO_HEADERS', mtu.ECHO_HEADERS],
  ];
  for (const [prefix, record] of records) for (const [key, value] of Object.entries(record)) expected.set(`${prefix}_${upper(key)}`, value);
  const lists: Array<[string, readonly string[]]> = [
    ['OUTCOME', protocol.PROBE_OUTCOMES],
    ['PHASE', protocol.PROBE_PHASES],
    ['KIND', protocol.PROBE_KINDS],
    ['PROTO', protocol.CALLBACK_PROTOS],
  ];
  for (const [prefix, values] of lists) for (const value of values) expected.set(`${prefix}_${upper(value)}`, value);
  return expected;
}

function run(command: string, args: string[], input: string): string {
  const r = spawnSync(command, args, { input, encoding: 'utf8' });
  assert.equal(r.status, 0, `${command}: ${r.stderr}`);
  return r.stdout;
}

/** What a PowerShell literal as the renderer writes it (a number, or "..." with backtick escapes) holds. */
function readPowershellLiteral(literal: string): string | number {
  if (/^\d+$/.test(literal)) return Number(literal);
  assert.match(literal, /^"([^"`$]|`.)*"$/, literal);
  return literal.slice(1, -1).replace(/`(.)/g, (_, c: string) => ({ n: '\n', r: '\r', t: '\t' })[c] ?? c);
}

test('generated constants: python3 and sh read back exactly src/protocol.ts\'s values, every one of them', () => {
  const expected = expectedConstants();
  const names = [...expected.keys()];
  assert.deepEqual(new Set(WIRE_CONSTANTS.map((c) => c.name)), new Set(names), 'one generated name for each protocol constant');

  const python = run('python3', ['-'], `${renderWireConstants('python', WIRE_CONSTANTS)}import json, sys\nsys.stdout.write(json.dumps({n: globals()[n] for n in ${JSON.stringify(names)}}))\n`);
  assert.deepEqual(new Map(Object.entries(JSON.parse(python) as Record<string, string | number>)), expected);

  // Each value followed by a NUL: values may end in a newline (UPLOAD_LINE), which $(...) would eat.
  const sh = run('sh', ['-s'], `${renderWireConstants('sh', WIRE_CONSTANTS)}printf '%s\\0' ${names.map((n) => `"$${n}"`).join(' ')}\n`);
  const shValues = sh.split('\0').slice(0, -1);
  assert.deepEqual(new Map(names.map((n, i) => [n, shValues[i]])), new Map([...expected].map(([n, v]) => [n, String(v)])));
});

test('generated constants: PowerShell assignments are double-quoted literals that hold the values (no PowerShell here to run them)', () => {
  const rendered = renderWireConstants('powershell', [...WIRE_CONSTANTS, { name: 'AWKWARD', value: 'a`b"c$d\ne' }]);
  const read = new Map(
    rendered
      .trimEnd()
      .split('\n')
      .map((line) => {
        const m = /^\$([A-Z0-9_]+) = (.*)$/.exec(line);
        assert.ok(m, line);
        return [m[1]!, readPowershellLiteral(m[2]!)] as const;
      }),
  );
  assert.deepEqual(read, new Map([...expectedConstants(), ['AWKWARD', 'a`b"c$d\ne']]));
});

test('each script as sent assigns exactly the constants its source uses, and its source uses no name that is not generated', () => {
  const generated = new Set(WIRE_CONSTANTS.map((c) => c.name));
  for (const { language, file, asSent } of AGENTS) {
    // Comment lines are not sent, and may name anything.
    const source = stripScript(sourceOf(file), language === 'python');
    const used = wireConstantsUsedBy(source);
    assert.ok(used.length > 20, `${file} takes its constants from the protocol`);
    assert.ok(asSent().includes(renderWireConstants(language, used)), `${file}: its constants are in front of it`);
    for (const unused of WIRE_CONSTANTS.filter((c) => !used.includes(c))) {
      assert.doesNotMatch(asSent(), new RegExp(`^\\$?${unused.name} ?=`, 'm'), `${file} is sent without ${unused.name}, which it does not use`);
    }
    // An sh variable that is never set expands to nothing: a misspelt name must fail here.
    const names = new Set(source.match(/\b(?:OUTCOME|PHASE|CODE|PATH|KIND|PROTO|HOLD|LIMIT)_[A-Z0-9_]+\b/g) ?? []);
    for (const name of names) assert.ok(generated.has(name), `${file} uses ${name}, which is not a protocol constant`);
  }
});

/**
 * Words a source may hold although they equal a protocol value: each is something else that happens
 * to share the spelling. Every entry must still match, so none outlives its reason.
 */
const NOT_PROTOCOL: ReadonlyArray<{ language: ScriptLanguage; word: string; line: RegExp; why: string }> = [
  { language: 'sh', word: 'timeout', line: /^\s*TMO=timeout$/, why: 'timeout(1), the command' },
  { language: 'sh', word: 'timeout', line: /^\s*tw_has timeout \|\| TMO=$/, why: 'timeout(1), the command' },
  { language: 'sh', word: 'timeout', line: /&& timeout --foreground 1 sleep 0 /, why: 'timeout(1), the command: whether it takes --foreground' },
  { language: 'sh', word: 'error', line: /grep -i -e 'failed:' -e 'error'/, why: "a word in wget's own messages" },
  { language: 'python', word: 'ping', line: /find_tool\('ping'\)/, why: 'ping(8), the command' },
  { language: 'sh', word: 'ping', line: /^\s*e=\$\(ping \$V6 -n -M do /, why: 'ping(8), the command' },
  { language: 'sh', word: 'ping', line: /^\s*if ! tw_has ping; then/, why: 'ping(8), the command' },
  { language: 'sh', word: 'ping', line: /^\s*elif ! ping -V 2>&1/, why: 'ping(8), the command' },
  { language: 'powershell', word: 'error', line: /foreach \(\$k in 'bytes', .*'error'\)/, why: "the result's field names" },
];

/** Where an agent source types a protocol value by hand: "line N: word". */
function handTyped(language: ScriptLanguage, source: string): string[] {
  const values = new Set<string>([...protocol.PROBE_OUTCOMES, ...protocol.PROBE_PHASES, ...protocol.PROBE_KINDS, ...protocol.CALLBACK_PROTOS, ...Object.values(protocol.HOLD_MESSAGES)]);
  const inside = [...Object.values(protocol.AGENT_ERROR_CODES), ...Object.values(protocol.PATHS), protocol.TOKEN_HEADER, protocol.UPLOAD_LINE.trim()].map((v) => v.toLowerCase());
  const lines = source.split('\n');
  const found: string[] = [];
  for (const word of scriptWords(language, source)) {
    const text = word.text.toLowerCase();
    const protocolLooking =
      (!word.field && values.has(word.text)) ||
      inside.some((v) => text.includes(v)) ||
      // A code of its own making, or a path under the listener's prefix that the protocol lacks.
      /\btwoway_(?!plan\b)[a-z]/.test(text) ||
      text.includes('/tw/') ||
      // An outcome, phase or code written into a JSON line by hand (sh builds its lines as text).
      /\\?"(outcome|phase|code)\\?"\s*:\s*\\?"(?![$%])/.test(word.text);
    if (!protocolLooking) continue;
    const line = lines[word.line - 1] ?? '';
    if (NOT_PROTOCOL.some((n) => n.language === language && n.word === word.text && n.line.test(line))) continue;
    found.push(`line ${word.line}: ${word.text}`);
  }
  return found;
}

test('no agent source types a protocol code, outcome, phase, kind, path or header by hand', () => {
  const found = Object.fromEntries(AGENTS.map(({ language, file }) => [file, handTyped(language, sourceOf(file))]));
  assert.deepEqual(found, Object.fromEntries(AGENTS.map(({ file }) => [file, []])));
  for (const n of NOT_PROTOCOL) {
    const { file } = AGENTS.find((a) => a.language === n.language)!;
    assert.ok(sourceOf(file).split('\n').some((line) => n.line.test(line)), `${file}: "${n.word}" (${n.why}) is no longer there; drop the entry`);
  }
});

test('the scan finds a value typed by hand, in each language and each way it could be written', () => {
  const planted: Array<[ScriptLanguage, string]> = [
    ['python', "self.end('tls-mismatch', {'message': m})"],
    ['python', "return {'code': 'TWOWAY_STALL'}"],
    ['python', "path = '/tw/hello' + query(probe)"],
    ['python', "if self.phase == 'body':\n    pass"],
    ['sh', 'R_OUT=no-response'],
    ['sh', 'case $P_KIND in hello) tw_url "$PATH_HELLO" ;; esac'],
    ['sh', `tw_emit error connect 0 ',"error":{"code":"TWOWAY_NOT_STARTED","message":"late"}'`],
    ['sh', `printf '{"outcome":"stalled"}'`],
    ['sh', 'tw_err "$EMSG" TWOWAY_NEW_CODE'],
    ['sh', '-H "X-Twoway-Token: $TW_TOKEN"'],
    ['powershell', "return Fail $r 'corrupt' 'bad'"],
    ['powershell', "switch ($p.kind) { 'hold' { } }"],
    ['powershell', `$q = "/tw/status?probe=$id"`],
  ];
  for (const [language, line] of planted) assert.notDeepEqual(handTyped(language, line), [], `${language}: ${line}`);
  // Field names and messages that only mention a word are not values.
  const clean: Array<[ScriptLanguage, string]> = [
    ['python', "result['error'] = describe(err)\nanswer.get('ok')\nx = {'ok': True}"],
    ['python', "self.end(OUTCOME_CORRUPT, {'message': 'body ended after %d bytes' % n})"],
    ['sh', 'ok=true\ntw_err "connect to $P_ADDR: refused"'],
    ['powershell', '$r.error = [ordered]@{}\n$o = [ordered]@{ error = $e; ok = $true }'],
  ];
  for (const [language, text] of clean) assert.deepEqual(handTyped(language, text), [], `${language}: ${text}`);
});
