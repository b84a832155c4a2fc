/**
 * Debian's chromium driven by playwright-core (which downloads no browser of its own). .ci/run
 * installs /usr/bin/chromium. Each launch gets a fresh profile directory and the flags that keep
 * the browser from calling home (no sync, no component updates, no background networking).
 */
import { mkdtempSync } from 'node:fs';
import { join } from 'node:path';
import { chromium, type BrowserContext } from 'playwright-core';

export const CHROMIUM = '/usr/bin/chromium';

export async function launchChromium(workDir: string): Promise<BrowserContext> {
  const profile = mkdtempSync(join(workDir, 'chromium-profile-'));
  return chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM,
    headless: true,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
    timeout: 60_000,
  });
}
