/**
 * Prometheus text exposition for node_exporter's textfile collector: every metric family once, with
 * HELP and TYPE, all gauges (a run is a snapshot, not a counter that grows). No sample timestamps:
 * the textfile collector refuses them; the run's time is a metric of its own.
 * The per-verdict counts list every kind, also at 0, so an alert on a kind has a series to watch.
 */
import { getRunExitCode, type NodeReport, type PathReport, type Report } from '../report.js';
import { PATH_KINDS, VERDICT_KINDS, isFailure, type PathKind } from '../verdicts.js';

type Labels = Record<string, string | number>;

interface Family {
  name: string;
  help: string;
  samples: { labels: Labels; value: number }[];
}

/** Label values: backslash, double quote and line feed escaped, as the exposition format says. */
export function escapeLabelValue(value: string): string {
  return value.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n');
}

function escapeHelp(text: string): string {
  return text.replace(/\\/g, '\\\\').replace(/\n/g, '\\n');
}

function labelText(labels: Labels): string {
  const parts = Object.entries(labels).map(([k, v]) => `${k}="${escapeLabelValue(String(v))}"`);
  return parts.length === 0 ? '' : `{${parts.join(',')}}`;
}

function formatValue(value: number): string {
  if (Number.isNaN(value)) return 'NaN';
  if (!Number.isFinite(value)) return value > 0 ? '+Inf' : '-Inf';
  return String(value);
}

function nodeLabels(n: NodeReport): Labels {
  return { node: n.name, profile: n.profile };
}

function pathLabels(n: NodeReport, p: PathReport): Labels {
  // FTP data: one series whatever passive port was offered (it rotates between runs).
  return { node: n.name, direction: p.direction, from: p.from, to: p.to, port: p.proto === 'ftp-data' ? 'passive' : p.port, proto: p.proto };
}

function families(report: Report): Family[] {
  const run = report.run;
  const paths = report.nodes.flatMap((n) => n.paths.map((p) => ({ n, p })));
  const pathCounts = Object.fromEntries(PATH_KINDS.map((k) => [k, 0])) as Record<PathKind, number>;
  for (const { p } of paths) pathCounts[p.verdict] += 1;
  const one = (value: number): { labels: Labels; value: number }[] => [{ labels: {}, value }];
  return [
    { name: 'twoway_run_start_timestamp_seconds', help: 'When the run started (Unix time).', samples: one(Date.parse(run.startedAt) / 1000) },
    { name: 'twoway_run_finish_timestamp_seconds', help: 'When the run finished (Unix time).', samples: one(Date.parse(run.finishedAt) / 1000) },
    { name: 'twoway_run_duration_seconds', help: 'How long the run took.', samples: one(run.ms / 1000) },
    { name: 'twoway_run_interrupted', help: '1 when the run was interrupted (untested nodes are not-measured).', samples: one(run.interrupted ? 1 : 0) },
    { name: 'twoway_run_exit_code', help: 'The exit code of the run: 0 every path works, 1 a fault was found, 130 interrupted.', samples: one(getRunExitCode(report)) },
    { name: 'twoway_run_stray_requests', help: 'Requests the listener refused (no or wrong token, unplanned probe, a request it could not parse).', samples: one(run.strayRequests) },
    {
      name: 'twoway_run_strays',
      help: 'Stray requests and connections the listener refused, by source and reason (a warning: someone else talks to its ports).',
      samples: (run.strays ?? []).map((s) => ({ labels: { source: s.source, reason: s.reason, ...(s.node === undefined ? {} : { node: s.node }) }, value: s.count })),
    },
    { name: 'twoway_nodes', help: 'Nodes tested in the run.', samples: one(report.summary.nodes) },
    { name: 'twoway_failed_nodes', help: 'Nodes with at least one problem.', samples: one(report.summary.failedNodes) },
    { name: 'twoway_fleet_findings', help: 'Causes shared by several nodes (the controller side, or one subnet).', samples: one(report.findings.length) },
    {
      name: 'twoway_nodes_by_verdict',
      help: 'Nodes per verdict (a node counts once, under its worst verdict).',
      // A report written before a kind existed has no count for it: none of its nodes had it.
      samples: VERDICT_KINDS.map((k) => ({ labels: { verdict: k }, value: report.summary[k] ?? 0 })),
    },
    { name: 'twoway_paths_by_verdict', help: 'Paths per verdict.', samples: PATH_KINDS.map((k) => ({ labels: { verdict: k }, value: pathCounts[k] })) },
    { name: 'twoway_node_ok', help: '1 when every path of the node works both ways.', samples: report.nodes.map((n) => ({ labels: nodeLabels(n), value: isFailure(n.verdict) ? 0 : 1 })) },
    {
      name: 'twoway_node_verdict',
      help: "The node's verdict (always 1; the verdict is the label).",
      samples: report.nodes.map((n) => ({ labels: { ...nodeLabels(n), verdict: n.verdict }, value: 1 })),
    },
    { name: 'twoway_node_duration_seconds', help: 'How long testing the node took.', samples: report.nodes.map((n) => ({ labels: nodeLabels(n), value: n.ms / 1000 })) },
    { name: 'twoway_path_ok', help: '1 when the path works.', samples: paths.map(({ n, p }) => ({ labels: pathLabels(n, p), value: isFailure(p.verdict) ? 0 : 1 })) },
    {
      name: 'twoway_path_verdict',
      help: "The path's verdict (always 1; the verdict is the label).",
      samples: paths.map(({ n, p }) => ({ labels: { ...pathLabels(n, p), verdict: p.verdict }, value: 1 })),
    },
  ];
}

export function renderProm(report: Report): string {
  const lines: string[] = [];
  for (const f of families(report)) {
    lines.push(`# HELP ${f.name} ${escapeHelp(f.help)}`, `# TYPE ${f.name} gauge`);
    for (const s of f.samples) lines.push(`${f.name}${labelText(s.labels)} ${formatValue(s.value)}`);
  }
  return `${lines.join('\n')}\n`;
}
