/**
 * Report files are replaced whole or not at all: a cron job or a textfile collector reading one
 * while twoway writes it sees the old file or the new one, never half of either. The text goes to
 * FILE.tmp-<pid> in the same directory (same file system, so the rename is atomic), then over FILE.
 */
import { renameSync, rmSync, writeFileSync } from 'node:fs';

export function writeFileAtomic(file: string, text: string): void {
  const temp = `${file}.tmp-${process.pid}`;
  try {
    writeFileSync(temp, text);
    renameSync(temp, file);
  } catch (err) {
    rmSync(temp, { force: true });
    throw err;
  }
}
