/**
 * Headless Chromium for the browser tests, driven by puppeteer-core: the system's Chromium (CI installs the
 * Debian package, see .ci/run), screenshots kept as test artifacts under test/e2e/screenshots (gitignored), and
 * axe-core run in the page.
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import axe from 'axe-core';
import puppeteer, { type Browser, type Page } from 'puppeteer-core';
import { REPO_ROOT } from './spawn-local-stack.ts';

/** Where screenshots go: a test artifact for a person to look at, never committed. */
const SCREENSHOT_DIR = join(REPO_ROOT, 'test', 'e2e', 'screenshots');

function findChromium(): string | undefined {
  if (process.env.CHROMIUM_PATH) return process.env.CHROMIUM_PATH;
  for (const name of ['chromium', 'chromium-browser', 'google-chrome', 'google-chrome-stable']) {
    try {
      const found = execFileSync('sh', ['-c', `command -v ${name}`], { encoding: 'utf8' }).trim();
      if (found) return found;
    } catch {
      // not this one
    }
  }
  return undefined;
}

/** The Chromium to drive (`CHROMIUM_PATH`, else the first on PATH), or undefined: the browser tests then skip, saying so. */
export const CHROMIUM = findChromium();
export const NO_CHROMIUM_REASON = 'no Chromium on this machine (apt-get install -y chromium, as .ci/run does, or set CHROMIUM_PATH)';

export async function launchBrowser(): Promise<Browser> {
  if (!CHROMIUM) throw new Error(NO_CHROMIUM_REASON);
  return puppeteer.launch({
    executablePath: CHROMIUM,
    headless: true,
    // Containers run tests as root (no sandbox there) with a small /dev/shm.
    args: ['--no-sandbox', '--disable-dev-shm-usage', '--disable-gpu', '--no-first-run'],
    defaultViewport: { width: 1100, height: 900 },
  });
}

/** A full-page screenshot named `<name>.png` in SCREENSHOT_DIR; returns its path. */
export async function screenshot(page: Page, name: string): Promise<string> {
  mkdirSync(SCREENSHOT_DIR, { recursive: true });
  const path = join(SCREENSHOT_DIR, `${name}.png`) as `${string}.png`;
  await page.screenshot({ path, fullPage: true });
  return path;
}

/** axe-core's own source, to evaluate in the page. */
const AXE_SOURCE = axe.source;

export interface AxeViolation {
  id: string;
  impact: string | null;
  help: string;
  nodes: string[];
}

/**
 * axe-core's violations on the page as it is now, of the given impacts. axe is evaluated through the DevTools
 * protocol, which the page's Content-Security-Policy does not govern (an injected `<script>` would be refused).
 */
export async function axeViolations(page: Page, impacts: readonly string[] = ['serious', 'critical']): Promise<AxeViolation[]> {
  await page.evaluate(AXE_SOURCE);
  const violations = await page.evaluate(async () => {
    const axe = (globalThis as unknown as { axe: { run: (context: unknown, options: unknown) => Promise<{ violations: any[] }> } }).axe;
    const results = await axe.run((globalThis as any).document, { resultTypes: ['violations'] });
    return results.violations.map((v) => ({ id: v.id, impact: v.impact, help: v.help, nodes: v.nodes.map((n: any) => n.target.join(' ')) }));
  });
  return violations.filter((v) => impacts.includes(v.impact ?? ''));
}
