/**
 * The BMC stand-in as a process, for a lab namespace: `node dist/controller/lab/redfish/main.js
 * --listen ADDR:PORT --user NAME --password-file FILE [--trust all|ca:FILE|pin:SHA256]
 * [--busy SLOT=URL] [--state FILE]`. It prints "listening PORT" once bound, writes its state (slots
 * and every insert/eject) to --state after each change, and stops on SIGTERM.
 */
import { readFileSync, writeFileSync, renameSync } from 'node:fs';
import { createRunCertificate } from '../../wire/cert.js';
import type { ImageTrust } from './fetch-image.js';
import type { MediaSlot } from './resources.js';
import { RedfishStandIn, type StandInState } from './server.js';

function arg(name: string, args: readonly string[]): string | undefined {
  const i = args.indexOf(name);
  return i >= 0 ? args[i + 1] : undefined;
}

export function parseTrust(text: string): ImageTrust {
  if (text === 'all') return { kind: 'all' };
  if (text.startsWith('ca:')) return { kind: 'ca', caPem: readFileSync(text.slice(3), 'utf8') };
  if (text.startsWith('pin:')) return { kind: 'pin', sha256: text.slice(4) };
  throw new Error(`--trust: expected all, ca:FILE or pin:SHA256, found "${text}"`);
}

async function main(args: readonly string[]): Promise<void> {
  const listen = arg('--listen', args) ?? '127.0.0.1:0';
  const colon = listen.lastIndexOf(':');
  const host = listen.slice(0, colon);
  const passwordFile = arg('--password-file', args);
  if (passwordFile === undefined) throw new Error('--password-file is required (a password is never taken from the command line)');
  const busy = arg('--busy', args);
  const slots: Partial<MediaSlot>[] =
    busy === undefined
      ? [{ id: 'CD1', mediaTypes: ['CD', 'DVD'] }, { id: 'USB1', mediaTypes: ['USBStick'] }]
      : [{ id: busy.slice(0, busy.indexOf('=')), mediaTypes: ['CD', 'DVD'], image: busy.slice(busy.indexOf('=') + 1) }];
  const statePath = arg('--state', args);
  const writeState = (state: StandInState): void => {
    if (statePath === undefined) return;
    writeFileSync(`${statePath}.tmp`, JSON.stringify(state, null, 2));
    renameSync(`${statePath}.tmp`, statePath);
  };
  const standIn = new RedfishStandIn({
    user: arg('--user', args) ?? 'admin',
    password: readFileSync(passwordFile, 'utf8').trim(),
    cert: await createRunCertificate([host], 'twoway lab BMC'),
    trust: parseTrust(arg('--trust', args) ?? 'all'),
    slots,
    onChange: writeState,
  });
  const port = await standIn.listen(host, Number(listen.slice(colon + 1)));
  writeState(standIn.state);
  process.stdout.write(`listening ${port}\n`);
  process.once('SIGTERM', () => void standIn.close().then(() => process.exit(0)));
  process.once('SIGINT', () => void standIn.close().then(() => process.exit(0)));
}

main(process.argv.slice(2)).catch((err: unknown) => {
  process.stderr.write(`redfish stand-in: ${(err as Error).message}\n`);
  process.exit(2);
});
