/** Fixes for an FTP passive range a firewall drops, from a node the real diagnosis judged. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { diagnoseNode } from '../../../controller/diagnose/node.js';
import { remediesForNode } from '../../../controller/remedy/node.js';
import { NO_HINTS } from '../../../src/profiles.js';
import { CONTROLLER, DATA_BLOCKED, NODE_ADDR, ftpEvidence, ftpLedger } from '../../helpers/diagnose-input.js';

test('remedies ftp: control passes, the data connection is dropped: the passive range, the FTP helper, a narrower range', () => {
  const node = diagnoseNode(ftpEvidence(DATA_BLOCKED, { ledger: [ftpLedger()] }));
  const lines = remediesForNode(node, { httpPort: 63001, httpsPort: 63002, hints: NO_HINTS }, () => false).flatMap((r) => r.lines);
  assert.ok(lines.includes(`iptables -I FORWARD -s ${NODE_ADDR} -d ${CONTROLLER} -p tcp --dport 63006:63010 -j ACCEPT`), lines.join('\n'));
  assert.ok(lines.includes('modprobe nf_conntrack_ftp'));
  assert.ok(lines.includes(`iptables -t raw -A PREROUTING -p tcp -d ${CONTROLLER} --dport 21 -j CT --helper ftp`), 'the helper follows the control port');
  assert.ok(lines.includes('twoway run --ftp --ftp-data-ports 63006-63010   # with the narrowed range'));
  assert.ok(!lines.some((l) => l.includes('--dports 63007')), 'not the generic per-port egress fix');
});
