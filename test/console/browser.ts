import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type Browser, type BrowserContext, chromium, type Page } from 'playwright-core';
import { freePort, type HeraldProcess, ROOT, runHerald, stopProcess, waitForHttp } from '../helpers/process.js';

/** Debian's chromium (`apt-get install chromium`); never a downloaded browser. */
export const CHROMIUM = ['/usr/bin/chromium', '/usr/bin/chromium-browser'].find((p) => existsSync(p));

/** The developers' brief's flags: headless, no background traffic, nothing but loopback. */
const FLAGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--no-first-run',
  '--disable-quic',
  '--disable-features=MediaRouter,OptimizationHints,Translate',
];

/** Screenshots the docs show; every other one goes to a temp dir. */
export const DOCS_SHOTS = join(ROOT, 'docs/console');
export const SHOTS = join(tmpdir(), 'herald-console-shots');

export interface Console {
  base: string;
  herald: HeraldProcess;
  browser: Browser;
  context: BrowserContext;
  page: Page;
  dir: string;
  /** Every dialog the page opened (alert, confirm…): a script ran if this is not empty. */
  dialogs: string[];
  /** Console errors of the page, CSP violations among them. */
  errors: string[];
  shot(name: string, docs?: boolean): Promise<void>;
  api(method: string, path: string, body?: unknown, token?: string): Promise<{ status: number; json: unknown }>;
  close(): Promise<void>;
}

export async function launch(userDataDir: string, args: string[] = []): Promise<BrowserContext> {
  if (!CHROMIUM) throw new Error('chromium is not installed: apt-get install -y chromium (.ci/run does)');
  return chromium.launchPersistentContext(userDataDir, {
    executablePath: CHROMIUM,
    args: [...FLAGS, ...args],
    headless: true,
    viewport: { width: 1280, height: 860 },
    colorScheme: 'light',
  });
}

/** A real `herald serve` (the built CLI) with `yaml` (storage is added), and Chromium pointed at it. */
export async function startConsole(yaml: (port: number) => string, opts: { token?: string } = {}): Promise<Console> {
  const dir = mkdtempSync(join(tmpdir(), 'herald-console-'));
  const port = await freePort();
  const cfg = join(dir, 'herald.yaml');
  writeFileSync(cfg, `${yaml(port)}\nserver: {listen: "127.0.0.1:${port}"}\nstorage: {url: "sqlite:${join(dir, 'herald.db')}"}\nlog: {level: warn}\n`);
  const herald = runHerald(['serve', '-c', cfg]);
  const base = `http://127.0.0.1:${port}`;
  try {
    // A config Herald refuses ends the process: fail at once with its output.
    await Promise.race([waitForHttp(`${base}/healthz`), herald.exited.then((code) => Promise.reject(new Error(`herald serve exited with ${code}`)))]);
  } catch (err) {
    await stopProcess(herald);
    throw new Error(`${(err as Error).message}\n${herald.output()}`);
  }
  let context: BrowserContext;
  try {
    context = await launch(join(dir, 'chromium'));
  } catch (err) {
    // No browser (or it would not start): the Herald started for it must not outlive the test.
    await stopProcess(herald);
    throw err;
  }
  const browser = context.browser() as Browser;
  const page = context.pages()[0] ?? (await context.newPage());
  const dialogs: string[] = [];
  const errors: string[] = [];
  page.on('dialog', (d) => {
    dialogs.push(d.message());
    void d.dismiss();
  });
  page.on('console', (m) => {
    if (m.type() === 'error') errors.push(m.text());
  });
  mkdirSync(SHOTS, { recursive: true });
  mkdirSync(DOCS_SHOTS, { recursive: true });
  return {
    base,
    herald,
    browser,
    context,
    page,
    dir,
    dialogs,
    errors,
    async shot(name, docs = false) {
      await page.screenshot({ path: join(docs ? DOCS_SHOTS : SHOTS, `${name}.png`), fullPage: false });
    },
    async api(method, path, body, token = opts.token) {
      const headers: Record<string, string> = {};
      if (token) headers.authorization = `Bearer ${token}`;
      if (body !== undefined) headers['content-type'] = 'application/json';
      const res = await fetch(`${base}${path}`, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
      const text = await res.text();
      return { status: res.status, json: text ? JSON.parse(text) : undefined };
    },
    async close() {
      await context.close().catch(() => {});
      await stopProcess(herald);
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
