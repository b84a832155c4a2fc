/**
 * The verdicts of a BMC's callbacks tested over Redfish (controller/probers/redfish.ts): a pure
 * function of what the BMC said and what the listener saw. The kinds are the callback kinds: ok when
 * the BMC's request arrived from the BMC's address, source-mismatch from another, tls-failed when its
 * TLS handshake with the listener failed (or it says the certificate is not trusted), rejected /
 * no-route / blocked by what it reports when nothing arrived, not-measured when no insert was made or
 * the run was interrupted while waiting.
 */
import type { RedfishEvidence } from '../../src/evidence.js';
import type { PathReport } from '../../src/report.js';
import type { PathKind } from '../../src/verdicts.js';
import type { MediaAttempt, MediaProbe, RedfishOutcome } from '../probers/redfish.js';

const TLS_WORDS = /certificate|TLS|SSL|handshake/i;
const REFUSED_WORDS = /refused|reset/i;
const UNREACHABLE_WORDS = /unreachable|no route/i;

/** One callback path per media probe, in the probes' order. */
export function judgeRedfish(outcome: RedfishOutcome, probes: readonly MediaProbe[]): PathReport[] {
  return probes.map((probe) => {
    const attempt = outcome.attempts.find((a) => a.probe.id === probe.id);
    const path = { direction: 'callback' as const, from: outcome.bmc.address, to: probe.address, port: probe.port, proto: probe.proto };
    const base: RedfishEvidence = { kind: 'redfish', bmc: outcome.bmc, trust: outcome.trust, bmcMessages: [], ledgerSawRequest: false };
    if (attempt === undefined) {
      const why = outcome.skipped?.message ?? 'not tested';
      return { ...path, verdict: 'not-measured', summary: `BMC not asked to mount media: ${why}`, evidence: { ...base, bmcMessages: [why], skipped: outcome.skipped?.reason ?? 'error' } };
    }
    const { verdict, summary, extra } = judgeAttempt(attempt, outcome.bmc.address);
    const evidence: RedfishEvidence = {
      ...base,
      slot: attempt.slot,
      image: probe.url,
      ...(attempt.insertStatus === undefined ? {} : { insertStatus: attempt.insertStatus }),
      bmcMessages: attempt.insertError === undefined ? attempt.bmcMessages : [...attempt.bmcMessages, attempt.insertError],
      ...(attempt.inserted === undefined ? {} : { inserted: attempt.inserted }),
      ...(attempt.connectedVia === undefined ? {} : { connectedVia: attempt.connectedVia }),
      ejected: attempt.ejected,
      ...extra,
    };
    return { ...path, verdict, summary: attempt.ejected ? summary : `${summary}; EJECT FAILED: ${attempt.ejectError ?? 'unknown'}: eject slot ${attempt.slot} by hand`, evidence };
  });
}

function judgeAttempt(a: MediaAttempt, bmcAddress: string): { verdict: PathKind; summary: string; extra: Partial<RedfishEvidence> } {
  const said = a.bmcMessages.length === 0 ? '' : ` (BMC: ${a.bmcMessages[0]})`;
  const port = `${a.probe.proto}:${a.probe.port}`;
  const first = a.requests[0];
  if (first !== undefined) {
    const seen = { ledgerSawRequest: true, seen: first.peer };
    if (first.peer.address !== bmcAddress) return { verdict: 'source-mismatch', summary: `the BMC's request reached ${port} from ${first.peer.address}, not from the BMC's ${bmcAddress} (NAT)`, extra: seen };
    const methods = [...new Set(a.requests.map((r) => r.method))].join('+');
    return { verdict: 'ok', summary: `the BMC fetched the image from ${port} (${a.requests.length} request(s): ${methods})`, extra: seen };
  }
  if (a.insertStatus === undefined) return { verdict: 'not-measured', summary: `the insert got no answer from the BMC: ${a.insertError ?? 'unknown error'}`, extra: {} };
  if (a.insertStatus === 409) return { verdict: 'not-measured', summary: `the BMC refused the insert: the slot is in use${said}`, extra: {} };
  const failedTls = a.connections.find((c) => c.tls === 'failed' || c.tls === 'pending');
  if (a.probe.proto === 'https' && (failedTls !== undefined || a.bmcMessages.some((m) => TLS_WORDS.test(m)))) {
    return {
      verdict: 'tls-failed',
      summary: `the BMC refused the run's self-signed certificate on ${port}${said}: the update manager needs a certificate the BMC trusts on its ssl port, or the BMC must fetch over http`,
      extra: failedTls?.tlsError === undefined ? {} : { tlsError: failedTls.tlsError },
    };
  }
  // Stopped while waiting, and the BMC said nothing of a refusal or a missing route: nothing to judge by.
  if (a.interrupted === true && !a.bmcMessages.some((m) => REFUSED_WORDS.test(m) || UNREACHABLE_WORDS.test(m))) {
    return { verdict: 'not-measured', summary: `the run was interrupted while waiting for the BMC's request on ${port}${said}`, extra: { interrupted: true } };
  }
  if (a.connections.length > 0) return { verdict: 'stalled', summary: `the BMC connected to ${port} but sent no request${said}`, extra: {} };
  if (a.bmcMessages.some((m) => REFUSED_WORDS.test(m))) return { verdict: 'rejected', summary: `the BMC's connection to ${port} was refused${said}`, extra: {} };
  if (a.bmcMessages.some((m) => UNREACHABLE_WORDS.test(m))) return { verdict: 'no-route', summary: `the BMC has no route to the controller for ${port}${said}`, extra: {} };
  return { verdict: 'blocked', summary: `nothing from the BMC reached ${port}${said}`, extra: {} };
}
