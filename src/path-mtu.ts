/**
 * Reading a path MTU measurement (src/evidence.ts PathMtuMeasurement) the same way wherever it is
 * judged or shown: controller/diagnose/mtu.ts, controller/remedy/mtu.ts.
 */
import type { PathMtuMeasurement } from './evidence.js';

/** The measurements that closed on a figure below the interface's MTU: the path's own limit. */
export function limitsBelowInterface(pathMtu: readonly PathMtuMeasurement[]): PathMtuMeasurement[] {
  return pathMtu.filter((m) => m.measured && m.mtu !== undefined && m.interfaceMtu !== undefined && m.mtu < m.interfaceMtu);
}

/** "1400", or "at least 1200 (below 1300)" when the probes ran out first. */
export function mtuFigure(m: PathMtuMeasurement): string {
  return m.below === undefined ? String(m.mtu) : `at least ${m.mtu} (below ${m.below})`;
}
