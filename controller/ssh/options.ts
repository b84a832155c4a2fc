/**
 * The ssh -o options of a session: twoway's own, and the operator's (--ssh-option) checked and put
 * in front of them. OpenSSH keeps the FIRST value it is given for an option (command line before
 * any config file, and the command line in order), so an operator's option can only win if it comes
 * first; a default of ours whose key the operator set is left out, so the arguments say once what
 * ssh will do.
 *
 * A few options are not the operator's to change, because the run depends on them:
 * - BatchMode must stay yes: ssh runs with the agent on its stdin and no terminal, so a prompt
 *   (password, passphrase, unknown host key) could never be answered; it would only hang.
 * - StrictHostKeyChecking may not be no/off: host keys are always checked, and trusting unknown
 *   ones on first use is its own flag (--accept-new-hostkeys; -o StrictHostKeyChecking=accept-new
 *   says the same).
 * - ConnectTimeout has its own flag (--connect-timeout), which the session's deadline counts on.
 * - ForwardAgent, ForwardX11 and ClearAllForwardings stay closed: the agent must not be able to
 *   reach the operator's ssh-agent or open channels back through the controller.
 */
import { InputError } from '../../src/errors.js';

export interface SshOption {
  /** Lower-case, as OpenSSH compares keywords. */
  key: string;
  /** Without surrounding quotes. */
  value: string;
}

/** `Key=value`, `Key value` or `Key = value`, as ssh -o takes them; undefined when it is none of those. */
export function parseSshOption(option: string): SshOption | undefined {
  const m = /^\s*([A-Za-z][A-Za-z0-9]*)(?:\s*=\s*|\s+)(\S.*?)\s*$/.exec(option);
  if (m === null) return undefined;
  const value = m[2]!.length >= 2 && m[2]!.startsWith('"') && m[2]!.endsWith('"') ? m[2]!.slice(1, -1) : m[2]!;
  return { key: m[1]!.toLowerCase(), value };
}

interface Guard {
  /** Values the operator may give (lower-case); any other is refused. */
  allowed?: readonly string[];
  /** Values refused (lower-case); any other is allowed. */
  refused?: readonly string[];
  why: string;
}

const GUARDS: Readonly<Record<string, Guard>> = {
  batchmode: {
    allowed: ['yes', 'true'],
    why: 'twoway streams the agent on ssh\'s stdin with no terminal, so ssh must never prompt (for a password, a passphrase or a host key); load the key into ssh-agent or give key: in the inventory',
  },
  stricthostkeychecking: {
    refused: ['no', 'off', 'false'],
    why: 'host keys are always checked; to trust unknown host keys on first use pass --accept-new-hostkeys (a changed key is still refused)',
  },
  connecttimeout: { allowed: [], why: 'use --connect-timeout SEC (the session\'s deadline counts on it)' },
  forwardagent: { allowed: ['no', 'false'], why: 'the agent must not reach your ssh-agent through its session' },
  forwardx11: { allowed: ['no', 'false'], why: 'the agent must not open channels back through the controller' },
  forwardx11trusted: { allowed: ['no', 'false'], why: 'the agent must not open channels back through the controller' },
  clearallforwardings: { allowed: ['yes', 'true'], why: 'the agent must not open channels back through the controller' },
};

/** The options as given; throws InputError (exit 2) for one ssh would not parse or one twoway keeps for itself. */
export function checkSshOptions(options: readonly string[]): readonly string[] {
  for (const option of options) {
    const parsed = parseSshOption(option);
    if (parsed === undefined) throw new InputError(`"${option}" is not an ssh option: expected KEY=VALUE (or "KEY VALUE"), e.g. ProxyJump=bastion`, { field: '--ssh-option' });
    const guard = GUARDS[parsed.key];
    if (guard === undefined) continue;
    const value = parsed.value.toLowerCase();
    const ok = guard.allowed !== undefined ? guard.allowed.includes(value) : !(guard.refused ?? []).includes(value);
    if (!ok) throw new InputError(`"${option}" is refused: ${guard.why}`, { field: '--ssh-option' });
  }
  return options;
}

/** -o arguments: the operator's first, then each default whose key the operator did not set. */
export function mergeSshOptions(operator: readonly string[], defaults: readonly string[]): string[] {
  const set = new Set(operator.map((o) => parseSshOption(o)?.key));
  return [...operator, ...defaults.filter((d) => !set.has(parseSshOption(d)!.key))].flatMap((o) => ['-o', o]);
}

/**
 * --ssh-kex: `default` leaves the key exchange to ssh (OpenSSH 9 prefers the post-quantum hybrid
 * sntrup761x25519); `fast` asks for plain curve25519, which costs the controller's ssh client a
 * fraction of the CPU per handshake but gives up protection of recorded sessions against a future
 * quantum computer. Returned as operator options, so an explicit -o KexAlgorithms given first wins.
 */
export const SSH_KEX_CHOICES = ['default', 'fast'] as const;
export type SshKex = (typeof SSH_KEX_CHOICES)[number];

export function sshKexOptions(kex: SshKex, operator: readonly string[]): readonly string[] {
  if (kex === 'default' || operator.some((o) => parseSshOption(o)?.key === 'kexalgorithms')) return operator;
  return [...operator, 'KexAlgorithms=curve25519-sha256,curve25519-sha256@libssh.org'];
}
