/**
 * Debian's chromium driven by playwright-core (which downloads no browser of its own). .ci/run
 * installs /usr/bin/chromium. Each launch gets a fresh profile directory of its own and the flags that
 * keep the browser from calling home (no sync, no component updates, no background networking).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type BrowserContext } from 'playwright-core';

export const CHROMIUM = '/usr/bin/chromium';

/**
 * One after-hook closes the browser, then removes its profile: a profile removed while Chromium still
 * writes there fails (ENOTEMPTY) and, hooks running in the order added, left the browser open and the
 * test file hung. Closing the context earlier as well is harmless.
 */
export async function launchChromium(t: { after(fn: () => Promise<void>): void }): Promise<BrowserContext> {
  const profile = mkdtempSync(join(tmpdir(), 'twoway-chromium-'));
  let context: BrowserContext | undefined;
  t.after(async () => {
    await context?.close();
    rmSync(profile, { recursive: true, force: true });
  });
  context = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM,
    headless: true,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
    timeout: 60_000,
  });
  return context;
}
