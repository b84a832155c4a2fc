/** Reading CPU time and memory from /proc text. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { machineCpu, parseMachineCpu, parsePeakRss, parseProcessStat, processTimes } from '../../../controller/bench/proc-times.js';

test('a process stat line: ppid, own time (utime + stime) and reaped children (cutime + cstime), in seconds', () => {
  // A comm with spaces and parentheses must not shift the fields.
  const line = '4242 (a (b) c) S 17 4242 4242 0 -1 4194560 100 0 0 0 250 75 1200 30 20 0 1 0 123456 1000 10 18446744073709551615';
  assert.deepEqual(parseProcessStat(line), { ppid: 17, ownS: 3.25, reapedChildrenS: 12.3 });
  assert.equal(parseProcessStat('garbage'), undefined);
});

test('this process: its own stat parses, and its own time grows with work', () => {
  const before = processTimes(process.pid);
  assert.ok(before !== undefined);
  assert.equal(before.ppid, process.ppid);
  const until = process.cpuUsage().user + 50_000;
  while (process.cpuUsage().user < until);
  assert.ok(processTimes(process.pid)!.ownS > before.ownS);
});

test('VmHWM in bytes; absent for a kernel thread', () => {
  assert.equal(parsePeakRss('Name:\tnode\nVmPeak:\t 1000 kB\nVmHWM:\t  151552 kB\nVmRSS:\t 150000 kB\n'), 151552 * 1024);
  assert.equal(parsePeakRss('Name:\tkthreadd\n'), undefined);
});

test('/proc/stat: busy is user, nice, system, irq, softirq and steal; idle and iowait apart', () => {
  const text = 'cpu  100 5 50 1000 20 3 2 1 0 0\ncpu0 50 2 25 500 10 1 1 0 0 0\n';
  assert.deepEqual(parseMachineCpu(text), { busyS: 1.61, idleS: 10.2 });
  assert.equal(parseMachineCpu('intr 1 2 3\n'), undefined);
  const m = machineCpu();
  assert.ok(m.busyS > 0 && m.idleS >= 0);
});
