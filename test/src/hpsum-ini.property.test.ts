/**
 * Properties of hpsum.ini reading: any text gives the port keys (each a port 1..65535) or an
 * InputError naming the file, the line and the key, never another exception; a file written with
 * port keys among sections, comments and other keys reads back as those ports (the last one wins).
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { InputError } from '../../src/errors.js';
import { parseHpsumIni, type HpsumPorts } from '../../src/hpsum-ini.js';
import { check, parsesOrNamesThePlace } from '../helpers/property.js';

const FILE = 'C:/Program Files/hpsum/hpsum.ini';
const KEYS = ['port', 'ssl_port', 'ftp_port'] as const;

describe('hpsum.ini properties', () => {
  it('any text: port keys with valid ports, or an InputError naming file, line and key', () => {
    const line = fc.oneof(
      fc.string({ unit: 'binary', maxLength: 30 }),
      fc.tuple(fc.constantFrom(...KEYS, 'PORT', ' ssl_port ', 'other'), fc.constantFrom('=', ' = ', ':'), fc.oneof(fc.string({ maxLength: 6 }), fc.integer({ min: -5, max: 70_000 }).map(String))).map((p) => p.join('')),
      fc.constantFrom('[General]', '; comment', '# comment', '', '[port=1]', '=1'),
    );
    check(
      fc.property(fc.array(line, { maxLength: 10 }), fc.constantFrom('\n', '\r\n'), (lines, eol) => {
        const text = lines.join(eol);
        const result = parsesOrNamesThePlace(() => parseHpsumIni(text, FILE), FILE, text);
        if (result instanceof InputError) {
          assert.ok((KEYS as readonly string[]).includes(result.field ?? ''), result.message);
          return;
        }
        for (const [key, port] of Object.entries(result)) {
          assert.ok((KEYS as readonly string[]).includes(key));
          assert.ok(Number.isInteger(port) && port >= 1 && port <= 65535);
        }
      }),
    );
  });

  it('port keys written among sections, comments and other keys read back; the last of a key wins', () => {
    const setting = fc.tuple(fc.constantFrom(...KEYS), fc.integer({ min: 1, max: 65535 }), fc.constantFrom('', ' ', '\t'), fc.boolean());
    const noise = fc.constantFrom('[General]', '[FTP]', '; port=1', '# ssl_port=x', 'open_firewall=yes', 'port_range=5-6', '', '   ');
    check(
      fc.property(fc.array(fc.oneof(setting, noise), { maxLength: 12 }), fc.constantFrom('\n', '\r\n'), (lines, eol) => {
        const expected: HpsumPorts = {};
        const text = lines
          .map((line) => {
            if (typeof line === 'string') return line;
            const [key, port, space, upper] = line;
            expected[key] = port;
            return `${space}${upper ? key.toUpperCase() : key}${space}=${space}${port}${space}`;
          })
          .join(eol);
        assert.deepStrictEqual(parseHpsumIni(text, FILE), expected);
      }),
    );
  });
});
