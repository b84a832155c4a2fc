/**
 * Report files are replaced whole or not at all: a cron job or a textfile collector reading one
 * while twoway writes it sees the old file or the new one, never half of either. The text goes to
 * FILE.tmp-<pid> in the same directory (same file system, so the rename is atomic), is synced, then
 * replaces FILE.
 */
import { closeSync, fsyncSync, openSync, renameSync, rmSync, writeSync } from 'node:fs';

export function writeFileAtomic(file: string, text: string): void {
  const temp = `${file}.tmp-${process.pid}`;
  try {
    const fd = openSync(temp, 'w', 0o644);
    try {
      writeSync(fd, text);
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    renameSync(temp, file);
  } catch (err) {
    rmSync(temp, { force: true });
    throw err;
  }
}
