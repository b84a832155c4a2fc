/** The node-type x update-manager matrix of `twoway profiles --manager NAME`: which callbacks each manager needs. */
import { UPDATE_MANAGERS, managerNeed, type UpdateManager } from '../managers.js';
import { UPDATE_MANAGER_PORTS, type CallbackKind, type Profile, type ProfileSet } from '../profiles.js';

/** One cell: the ports a node of this profile calls back to under the manager, "none", or "-" when the manager does not update it. */
export function matrixCell(manager: UpdateManager, profile: Profile): string {
  const need = managerNeed(manager, profile);
  if (need !== undefined && !need.manages) return '-';
  const kinds = need === undefined ? profile.callbacks : need.callbacks;
  const port: Record<CallbackKind, string> = { http: String(manager.ports.http), https: String(manager.ports.https), ftp: `ftp ${UPDATE_MANAGER_PORTS.ftp_port}` };
  return kinds.length === 0 ? 'none' : kinds.map((k) => port[k]).join(',');
}

export function renderManagerMatrix(profiles: ProfileSet, chosen: UpdateManager): string {
  const managers = Object.values(UPDATE_MANAGERS);
  const header = ['node type', ...managers.map((m) => (m.name === chosen.name ? `${m.name}*` : m.name))];
  const rows = Object.values(profiles).map((p) => [p.name, ...managers.map((m) => matrixCell(m, p))]);
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)) + 2);
  const line = (cells: string[]): string => `  ${cells.map((c, i) => c.padEnd(widths[i]!)).join('').trimEnd()}`;
  return [
    'Callbacks each update manager needs, node -> manager ports (* the chosen --manager; "none": measured as information; "-": not updated by it):',
    line(header),
    ...rows.map(line),
    '',
    ...managers.flatMap((m) => [`  ${m.name}: ${m.description}`, ...m.notes.map((n) => `    note: ${n}`)]),
    '',
  ].join('\n');
}
