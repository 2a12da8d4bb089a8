import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { CLI, ROOT, runCli, tempDir } from '../helpers/cli.js';

const CONFIG = path.join(ROOT, 'test/fixtures/e2e/tiny-rolling.yaml');
const CHROMIUM = ['/usr/bin/chromium', '/usr/bin/chromium-browser', '/usr/bin/google-chrome'].find((p) => existsSync(p));
const requireBrowser = process.env['QONLINE_REQUIRE_BROWSER'] === '1';
if (!CHROMIUM && !requireBrowser) console.warn('serve.test: Chromium not found; the browser part is skipped (set QONLINE_REQUIRE_BROWSER=1 to make this a failure)');

const children: ChildProcess[] = [];
afterAll(() => children.forEach((c) => c.kill('SIGKILL')));

async function startServe(home: string): Promise<{ url: string; child: ChildProcess }> {
  const child = spawn(process.execPath, [CLI, 'serve', CONFIG, '--home', home, '--port', '0'], { stdio: ['ignore', 'pipe', 'pipe'] });
  children.push(child);
  let out = '';
  child.stdout!.on('data', (d) => (out += d));
  const url = await new Promise<string>((resolve, reject) => {
    const t = setInterval(() => {
      const m = out.match(/"url":"([^"]+)"/);
      if (m) {
        clearInterval(t);
        resolve(m[1]!);
      }
    }, 20);
    child.on('close', (c) => reject(new Error(`serve exited ${c}`)));
  });
  return { url, child };
}

describe('qonline serve and report (built CLI)', () => {
  it('serves signals and the online set, sees a new online set without a restart, and renders the dashboard', async () => {
    const home = tempDir('qonline-serve-');
    const env = { QONLINE_HOME: home };
    expect((await runCli(['run', CONFIG], { env })).code).toBe(0);
    const { url, child } = await startServe(home);

    const health = (await (await fetch(url + 'api/health')).json()) as { stateVersion: number; lastRoutine: string };
    expect(health.lastRoutine).toBe('2020-12-31');
    const sig = (await (await fetch(url + 'api/signals?date=2020-12-31')).json()) as { signals: unknown[] };
    expect(sig.signals.length).toBeGreaterThan(5);
    const online1 = (await (await fetch(url + 'api/online')).json()) as Record<string, { id: string }[]>;
    expect(online1['tiny_ridge']).toHaveLength(1);

    // Another process rolls back; the running server sees it on the next request.
    const rb = await runCli(['rollback', CONFIG, '--strategy', 'tiny_ridge', '--to', '2020-09-30'], { env });
    expect(rb.code, rb.stderr).toBe(0);
    const online2 = (await (await fetch(url + 'api/online')).json()) as Record<string, { id: string }[]>;
    expect(online2['tiny_ridge']!.length).toBeGreaterThan(1);
    const health2 = (await (await fetch(url + 'api/health')).json()) as { stateVersion: number };
    expect(health2.stateVersion).toBe(health.stateVersion + 1);

    const html = await (await fetch(url)).text();
    expect(html).toContain('<svg');
    expect(html).toContain('Online-model timeline');

    if (CHROMIUM || requireBrowser) {
      expect(CHROMIUM, 'Chromium is required (QONLINE_REQUIRE_BROWSER=1)').toBeTruthy();
      const shot = path.join(home, 'dashboard.png');
      const flags = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync', `--user-data-dir=${path.join(home, 'chromium')}`];
      const dom = spawnSync(CHROMIUM!, [...flags, '--dump-dom', url], { encoding: 'utf8', timeout: 60_000 });
      expect(dom.stdout).toMatch(/<h1>Manager tiny<\/h1>/);
      expect((dom.stdout.match(/<svg /g) ?? []).length).toBe(4);
      const png = spawnSync(CHROMIUM!, [...flags, `--screenshot=${shot}`, '--window-size=1000,1400', url], { encoding: 'utf8', timeout: 60_000 });
      expect(png.status).toBe(0);
      expect(existsSync(shot)).toBe(true);
    }
    child.kill('SIGTERM');
    const code = await new Promise<number>((resolve) => child.on('close', (c) => resolve(c ?? -1)));
    expect(code).toBe(0);
  });

  it('writes the HTML report to the home folder', async () => {
    const home = tempDir('qonline-report-');
    const env = { QONLINE_HOME: home };
    expect((await runCli(['run', CONFIG], { env })).code).toBe(0);
    const r = await runCli(['report', CONFIG, '--json'], { env });
    expect(r.code, r.stderr).toBe(0);
    const out = JSON.parse(r.stdout) as { out: string; dates: number; meanIc: number };
    expect(out.out).toBe(path.join(home, 'reports', 'tiny.html'));
    expect(existsSync(out.out)).toBe(true);
    expect(out.dates).toBeGreaterThan(100);
    expect(Number.isFinite(out.meanIc)).toBe(true);
  });
});
