/**
 * The protocol constants of src/protocol.ts as assignments in the portable agents' own languages,
 * put in front of each agent's script as it is sent, so the agents copy no code, outcome or path by
 * hand. Each flavour gets only the names its source mentions: every byte goes over SSH to every node.
 *
 * One name per value, the same in every language: OUTCOME_TLS_MISMATCH, PHASE_DATA_CONNECT,
 * CODE_CONNECT_TIMEOUT, PATH_HELLO, LIMIT_ERROR_MESSAGE, ... (test/controller/agents/wire-constants.test.ts
 * holds the agents to them).
 */
import {
  AGENT_ERROR_CODES,
  CALLBACK_PROTOS,
  EVENT_LIMITS,
  HOLD_MESSAGES,
  MAX_HOLD_MESSAGE_BYTES,
  PATHS,
  PROBE_KINDS,
  PROBE_OUTCOMES,
  PROBE_PHASES,
  PROTOCOL_VERSION,
  TOKEN_HEADER,
  UPLOAD_CORRUPT_STATUS,
  UPLOAD_LINE,
} from '../../src/protocol.js';
import { DEFAULT_MTU_CEILING, ECHO_HEADERS, ECHO_WAIT_SEC, MAX_MTU_PROBES, MTU_FLOOR } from '../../src/mtu-bisect.js';
import { shellQuote } from './shell-quote.js';

export type ScriptLanguage = 'python' | 'sh' | 'powershell';

export interface WireConstant {
  name: string;
  value: string | number;
}

/** "tls-mismatch" and "connectTimeout" -> TLS_MISMATCH and CONNECT_TIMEOUT. */
function constantName(key: string): string {
  return key
    .replace(/([a-z0-9])([A-Z])/g, '$1_$2')
    .replace(/-/g, '_')
    .toUpperCase();
}

const listed = (prefix: string, values: readonly string[]): WireConstant[] => values.map((value) => ({ name: `${prefix}_${constantName(value)}`, value }));
const keyed = (prefix: string, record: Readonly<Record<string, string | number>>): WireConstant[] =>
  Object.entries(record).map(([key, value]) => ({ name: `${prefix}_${constantName(key)}`, value }));

/** Every protocol constant a portable agent may use, by its generated name. */
export const WIRE_CONSTANTS: readonly WireConstant[] = [
  { name: 'PROTOCOL_VERSION', value: PROTOCOL_VERSION },
  { name: 'TOKEN_HEADER', value: TOKEN_HEADER },
  { name: 'UPLOAD_LINE', value: UPLOAD_LINE },
  { name: 'UPLOAD_CORRUPT_STATUS', value: UPLOAD_CORRUPT_STATUS },
  { name: 'MAX_HOLD_MESSAGE_BYTES', value: MAX_HOLD_MESSAGE_BYTES },
  ...keyed('PATH', PATHS),
  ...keyed('HOLD', HOLD_MESSAGES),
  ...keyed('CODE', AGENT_ERROR_CODES),
  ...keyed('LIMIT', EVENT_LIMITS),
  ...listed('OUTCOME', PROBE_OUTCOMES),
  ...listed('PHASE', PROBE_PHASES),
  ...listed('KIND', PROBE_KINDS),
  ...listed('PROTO', CALLBACK_PROTOS),
  // The node-side path MTU bisection (src/mtu-bisect.ts): MTU_FLOOR_4, ECHO_HEADERS_6, ...
  { name: 'MAX_MTU_PROBES', value: MAX_MTU_PROBES },
  { name: 'DEFAULT_MTU_CEILING', value: DEFAULT_MTU_CEILING },
  { name: 'ECHO_WAIT_SEC', value: ECHO_WAIT_SEC },
  ...keyed('MTU_FLOOR', MTU_FLOOR),
  ...keyed('ECHO_HEADERS', ECHO_HEADERS),
];

/** The constants `source` mentions by name (as a whole word: $OUTCOME_OK and ${OUTCOME_OK} in sh). */
export function wireConstantsUsedBy(source: string): WireConstant[] {
  return WIRE_CONSTANTS.filter((c) => new RegExp(`\\b${c.name}\\b`).test(source));
}

/** A PowerShell double-quoted string: backtick escapes, so a newline needs no line of its own. */
function powershellString(value: string): string {
  const escaped = value.replace(/[`"$\n\r\t]/g, (c) => ({ '`': '``', '"': '`"', $: '`$', '\n': '`n', '\r': '`r', '\t': '`t' })[c]!);
  return `"${escaped}"`;
}

/** Python reads a JSON string as its own string literal (JSON.stringify escapes only what both read alike). */
const LITERAL: Record<ScriptLanguage, (value: string) => string> = { python: JSON.stringify, sh: shellQuote, powershell: powershellString };
const ASSIGNMENT: Record<ScriptLanguage, (name: string, literal: string) => string> = {
  python: (name, literal) => `${name} = ${literal}`,
  sh: (name, literal) => `${name}=${literal}`,
  powershell: (name, literal) => `$${name} = ${literal}`,
};

/** One assignment a line, in WIRE_CONSTANTS order. */
export function renderWireConstants(language: ScriptLanguage, constants: readonly WireConstant[]): string {
  return constants
    .map(({ name, value }) => `${ASSIGNMENT[language](name, typeof value === 'number' ? String(value) : LITERAL[language](value))}\n`)
    .join('');
}

/** The agent's source with the constants it uses in front. */
export function withWireConstants(language: ScriptLanguage, source: string): string {
  return renderWireConstants(language, wireConstantsUsedBy(source)) + source;
}
