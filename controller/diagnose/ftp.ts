/**
 * FTP: one probe, two paths. The control connection (port 21) and the passive data connection (a
 * port from the range PASV offered) cross firewalls as separate connections, and a firewall that
 * passes one and not the other is the fault this probe exists to find. Pure.
 */
import type { FtpControlEvidence, FtpDataEvidence, FtpFields, ProbeEvidence, ProbeFailureFields } from '../../src/evidence.js';
import { sizeLabel } from '../../src/size-label.js';
import { judgeProbe, probeBasics, sum, type ObservedProbe, type PathContext, type PathJudgement } from './probe.js';
import { rangeLabel, throughput } from './wording.js';

export interface FtpJudgement {
  /** The control path's evidence is the generic probe's when the agent reported no FTP result at all. */
  control: PathJudgement<FtpControlEvidence | ProbeEvidence>;
  data: PathJudgement<FtpDataEvidence>;
  /** The passive port tried, or the range's first when none was offered. */
  dataPort: number;
}

export function judgeFtp(e: ObservedProbe, ctx: PathContext): FtpJudgement {
  const { probe, result } = e;
  const entry = e.ledger[0];
  const range = rangeLabel(probe);
  const ftp = result?.ftp;
  const dataPort = ftp?.pasvPort ?? probe.dataPorts?.first ?? 0;
  const fields: FtpFields = {
    ...probeBasics(e),
    controlOk: ftp?.controlOk,
    loginOk: ftp?.loginOk,
    pasvPort: ftp?.pasvPort,
    dataConnected: ftp?.dataConnected,
    reply: ftp?.reply,
    controlPort: probe.port,
    dataPorts: range,
    ledgerSawLogin: entry !== undefined,
    listenerPasvPort: entry?.ftp?.pasvPort,
    listenerDataPeer: entry?.ftp?.dataPeer,
    ledgerBytesWritten: sum(e.ledger, 'bytesWritten'),
  };
  const control = (more: Partial<ProbeFailureFields> = {}): FtpControlEvidence => ({ kind: 'ftp-control', ...fields, ...more });
  const data = (more: Partial<ProbeFailureFields> = {}): FtpDataEvidence => ({ kind: 'ftp-data', ...fields, ...more });
  // A failed step's probe judgement: its fields join the FTP ones under the FTP path's kind.
  const joined = <E>(judged: PathJudgement<ProbeEvidence>, evidence: (more: Partial<ProbeFailureFields>) => E): PathJudgement<E> => {
    const { kind: _probe, ...more } = judged.evidence;
    return { verdict: judged.verdict, summary: judged.summary, evidence: evidence(more) };
  };
  const notMeasured = (why: string): PathJudgement<FtpDataEvidence> => ({ verdict: 'not-measured', summary: `FTP data (passive ${range}): not measured: ${why}`, evidence: data() });
  if (result === undefined || ftp === undefined) {
    const controlJudged = judgeProbe(e, ctx) ?? { verdict: 'not-measured', summary: 'FTP: the agent reported nothing', evidence: control() };
    const why = result?.outcome === 'unsupported' ? (result.error?.message ?? 'this agent cannot') : 'the agent reported no FTP result';
    return { control: controlJudged, data: notMeasured(why), dataPort };
  }
  if (!ftp.controlOk) {
    const judged = judgeProbe(e, ctx, `FTP control (port ${probe.port})`);
    const failed = judged === undefined ? { verdict: 'not-measured' as const, summary: 'FTP control: no banner', evidence: control() } : joined(judged, control);
    return { control: failed, data: notMeasured('the control connection failed first'), dataPort };
  }
  if (!ftp.loginOk) {
    return {
      control: { verdict: 'rejected', summary: `FTP control (port ${probe.port}): login refused (${ftp.reply ?? result.error?.message ?? 'no answer'})`, evidence: control() },
      data: notMeasured('the login failed first'),
      dataPort,
    };
  }
  const controlOk = { verdict: 'ok' as const, summary: `FTP control (port ${probe.port}): banner and login passed`, evidence: control() };
  if (ftp.pasvPort === undefined) {
    return { control: controlOk, data: notMeasured(`no passive port offered (${result.error?.message ?? ftp.reply ?? result.outcome})`), dataPort };
  }
  const where = `FTP data to passive port ${ftp.pasvPort}`;
  if (!ftp.dataConnected) {
    const syn = ctx.controllerSynFrom(ftp.pasvPort);
    const accepted = entry?.ftp?.dataPeer !== undefined;
    const judged = ((): PathJudgement<FtpDataEvidence> => {
      switch (result.outcome) {
        case 'timeout':
          if (accepted) return { verdict: 'return-path-lost', summary: `${where}: the listener accepted it from ${entry?.ftp?.dataPeer?.address}, the agent never saw it complete`, evidence: data() };
          if (syn !== undefined) {
            return {
              verdict: 'return-path-lost',
              summary: `${where}: the controller got the SYN from ${syn.remote} (SYN_RECV), its SYN-ACK never reached the node; control on port ${probe.port} works`,
              evidence: data({ controllerHalfOpen: syn }),
            };
          }
          return {
            verdict: 'blocked',
            summary: `${where}: connect timed out and the listener saw nothing, while control on port ${probe.port} works: a firewall passes ${probe.port} but not the passive range ${range}`,
            evidence: data(),
          };
        case 'refused':
          return { verdict: 'rejected', summary: `${where}: connection refused (control on port ${probe.port} works): a REJECT rule for the passive range ${range}`, evidence: data() };
        case 'unreachable':
          return { verdict: 'no-route', summary: `${where}: ${result.error?.code ?? 'unreachable'}`, evidence: data() };
        default:
          return { verdict: 'not-measured', summary: `${where}: ${result.error?.message ?? result.outcome}`, evidence: data() };
      }
    })();
    return { control: controlOk, data: judged, dataPort };
  }
  if (result.outcome === 'ok') {
    const bytes = probe.size ?? 0;
    const { rate } = throughput(bytes, result.ms, ctx.thresholds);
    return { control: controlOk, data: { verdict: 'ok', summary: `${where}: ${sizeLabel(bytes)} passed in ${result.ms} ms (${rate.throughputMbps} Mbit/s)`, evidence: data(rate) }, dataPort };
  }
  // The file was sent whole and checked, and only the 226 on the control connection was missing.
  if (result.phase === 'response') {
    return {
      control: { verdict: 'stalled', summary: `FTP control (port ${probe.port}): the file arrived whole, the 226 after it never did`, evidence: control() },
      data: { verdict: 'ok', summary: `${where}: the file arrived whole`, evidence: data() },
      dataPort,
    };
  }
  const judged = judgeProbe(e, ctx, where);
  const stopped = judged === undefined ? { verdict: 'not-measured' as const, summary: `${where}: ${result.outcome}`, evidence: data() } : joined(judged, data);
  return { control: controlOk, data: stopped, dataPort };
}
