/** Stop requests: one signal delivered twice (to the process group) counts once; exit statuses follow the shell. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { StopTally } from '../../../src/cli/stop-requests.js';
import { exitStatusOf } from '../../../src/cli/supervise.js';
import { exitCodeAfter } from '../../../src/cli/stop-signals.js';

test('stop tally: a signal that reaches the process and the supervisor counts once, in either order', () => {
  const directFirst = new StopTally();
  assert.equal(directFirst.record('SIGINT', 'direct'), 1);
  assert.equal(directFirst.record('SIGINT', 'relayed'), undefined, 'the relayed copy is no new request');
  const relayedFirst = new StopTally();
  assert.equal(relayedFirst.record('SIGINT', 'relayed'), 1);
  assert.equal(relayedFirst.record('SIGINT', 'direct'), undefined);
});

test('stop tally: Ctrl-C twice is two requests, however the four deliveries interleave', () => {
  const tally = new StopTally();
  assert.equal(tally.record('SIGINT', 'direct'), 1);
  assert.equal(tally.record('SIGINT', 'direct'), 2);
  assert.equal(tally.record('SIGINT', 'relayed'), undefined);
  assert.equal(tally.record('SIGINT', 'relayed'), undefined);
  assert.equal(tally.requests, 2);
});

test('stop tally: a signal to one process alone is a request of its own', () => {
  const tally = new StopTally();
  assert.equal(tally.record('SIGTERM', 'relayed'), 1, 'kill -TERM of the supervisor alone');
  assert.equal(tally.record('SIGTERM', 'relayed'), 2, 'and again');
  const mixed = new StopTally();
  assert.equal(mixed.record('SIGINT', 'direct'), 1);
  assert.equal(mixed.record('SIGHUP', 'relayed'), 2, 'another signal is another request');
});

test('stop tally: the supervisor gone is one request, however often it is told', () => {
  const tally = new StopTally();
  assert.equal(tally.recordSupervisorGone(), 1);
  assert.equal(tally.recordSupervisorGone(), undefined);
  assert.equal(tally.record('SIGHUP', 'direct'), 2, 'a signal after it is the second request');
});

test('stop tally: the supervisor gone while the run is stopping does not cut the stop short', () => {
  const tally = new StopTally();
  assert.equal(tally.record('SIGTERM', 'relayed'), 1);
  assert.equal(tally.recordSupervisorGone(), undefined, 'kill -TERM, then kill -KILL of the supervisor');
  assert.equal(tally.record('SIGINT', 'direct'), 3, 'a signal still counts as a further request');
});

test('exit status: 128 + the signal when the inner process died of one, its own code otherwise', () => {
  assert.equal(exitStatusOf(null, 'SIGINT'), 130);
  assert.equal(exitStatusOf(null, 'SIGHUP'), 129);
  assert.equal(exitStatusOf(null, 'SIGTERM'), 143);
  assert.equal(exitStatusOf(null, 'SIGKILL'), 137);
  assert.equal(exitStatusOf(0, null), 0);
  assert.equal(exitStatusOf(1, null), 1);
  assert.equal(exitStatusOf(143, null), 143, 'a run that stopped on SIGTERM and exited so');
  assert.equal(exitCodeAfter('SIGINT'), 130);
});
