/** `twoway lab up`'s fleet flags, refused before anything is built (no root needed), and as the lab receives them. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseComposition } from '../../../src/cli/lab.js';
import { twoway } from '../../helpers/cli.js';

test('counts beyond the plan, or --only-fleet without a fleet: exit 2 naming the flag', () => {
  for (const [args, message] of [
    [['--fleet', '1001'], /^twoway: field "--fleet": expected a whole number from 0 to 1000, got "1001"$/m],
    [['--fleet', '-3'], /--fleet/],
    [['--fleet-dropped', '11'], /^twoway: field "--fleet-dropped": expected a whole number from 0 to 10, got "11"$/m],
    [['--only-fleet'], /--only-fleet needs fleet nodes/],
    [['--fleet', '0', '--only-fleet'], /--only-fleet needs fleet nodes/],
  ] as const) {
    const r = twoway(['lab', 'up', ...args]);
    assert.equal(r.code, 2, `${args.join(' ')}: ${r.stderr}`);
    assert.match(r.stderr, message);
  }
});

test('what lab up builds: no fleet by default, a fleet with or without the static scenarios', () => {
  assert.deepEqual(parseComposition({ fleet: '0', fleetDropped: '0' }), {});
  assert.deepEqual(parseComposition({ fleet: '200', fleetDropped: '1', onlyFleet: true }), { fleet: { nodes: 200, dropped: 1 }, onlyFleet: true });
  assert.deepEqual(parseComposition({ fleet: '6', fleetDropped: '0' }), { fleet: { nodes: 6, dropped: 0 }, onlyFleet: false });
});
