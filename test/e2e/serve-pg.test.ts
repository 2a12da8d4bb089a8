import { spawn, type ChildProcess } from 'node:child_process';
import { createHash } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { openPostgresStore, PgDriver } from '../../plugins/store-postgres/index.js';
import { CLI, ROOT, runCli, tempDir } from '../helpers/cli.js';
import { dropSchema } from '../helpers/pg.js';

const PG_URL = process.env['QONLINE_TEST_PG_URL'];
const REQUIRE_PG = process.env['QONLINE_REQUIRE_PG'] === '1';
if (!PG_URL && !REQUIRE_PG) console.warn('serve-pg.test: QONLINE_TEST_PG_URL is not set; serve on PostgreSQL is skipped');

const children: ChildProcess[] = [];
const schemas: string[] = [];
afterAll(async () => {
  children.forEach((c) => c.kill('SIGKILL'));
  for (const s of schemas) await dropSchema(PG_URL!, s).catch(() => undefined);
});

interface Health {
  stateVersion: number;
  snapshot: { notified: boolean; refreshes: Record<'start' | 'request' | 'notify' | 'fallback' | 'reconnect', number> };
}

async function until<T>(what: string, read: () => Promise<T>, ok: (v: T) => boolean, ms = 30_000): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const v = await read();
    if (ok(v)) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}; last ${JSON.stringify(v)}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

describe.skipIf(!PG_URL && !REQUIRE_PG)('qonline serve on PostgreSQL: LISTEN/NOTIFY keeps the snapshot current', () => {
  it('answers the new state version and ETag after a rollback by another process, because of the notification; after LISTEN reconnects it re-checks', async () => {
    expect(PG_URL, 'QONLINE_TEST_PG_URL must be set (QONLINE_REQUIRE_PG=1)').toBeTruthy();
    const home = tempDir('qonline-serve-pg-');
    const schema = `serve_${process.pid}_${Date.now().toString(36)}`;
    schemas.push(schema);
    const config = path.join(home, 'tiny-pg.yaml');
    writeFileSync(config, readFileSync(path.join(ROOT, 'test/fixtures/e2e/tiny-rolling.yaml'), 'utf8') + `\nstore:\n  class: PostgresStore\n  kwargs:\n    url: \${QONLINE_PG_URL}\n    schema: ${schema}\n`);
    const env = { QONLINE_HOME: home, QONLINE_PG_URL: PG_URL };
    const run = await runCli(['run', config], { env, timeoutMs: 240_000 });
    expect(run.code, run.stderr).toBe(0);

    // The fallback check is pushed out of the test's reach: only a notification can move the snapshot.
    const child = spawn(process.execPath, [CLI, 'serve', config, '--port', '0', '--fallback-ms', '3600000'], { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, ...env } });
    children.push(child);
    let out = '';
    let err = '';
    child.stdout!.on('data', (d) => (out += d));
    child.stderr!.on('data', (d) => (err += d));
    const url = await until('serve to listen', async () => /"url":"([^"]+)"/.exec(out)?.[1], (u) => Boolean(u) || child.exitCode !== null);
    expect(url, err).toBeTruthy();
    const health = async (): Promise<Health> => (await (await fetch(url + 'api/health')).json()) as Health;

    const h1 = await health();
    expect(h1.snapshot.notified).toBe(true);
    expect(h1.snapshot.refreshes).toEqual({ start: 1, request: 0, notify: 0, fallback: 0, reconnect: 0 });
    const first = await fetch(url + 'api/signals?date=2020-12-31');
    const etag = first.headers.get('etag')!;
    expect(first.headers.get('x-qonline-state-version')).toBe(String(h1.stateVersion));

    const rb = await runCli(['rollback', config, '--strategy', 'tiny_ridge', '--to', '2020-09-30'], { env });
    expect(rb.code, rb.stderr).toBe(0);
    const h2 = await until('the notified version', health, (h) => h.stateVersion === h1.stateVersion + 1);
    expect(h2.snapshot.refreshes).toEqual({ start: 1, request: 0, notify: 1, fallback: 0, reconnect: 0 });
    // The same counts in /metrics, as a Prometheus counter by cause.
    const metrics = await (await fetch(url + 'metrics')).text();
    expect(metrics).toContain('qonline_snapshot_reloads_total{cause="notify"} 1');
    expect(metrics).toContain('qonline_snapshot_reloads_total{cause="start"} 1');
    expect(metrics).toContain('qonline_snapshot_reloads_total{cause="reconnect"} 0');
    const after = await fetch(url + 'api/signals?date=2020-12-31', { headers: { 'if-none-match': etag } });
    expect(after.status).toBe(200);
    expect(after.headers.get('etag')).not.toBe(etag);
    expect(after.headers.get('x-qonline-state-version')).toBe(String(h2.stateVersion));
    expect(((await after.json()) as { stateVersion: number }).stateVersion).toBe(h2.stateVersion);

    // The LISTEN connection dies; a state change committed before it is back is never notified.
    const channel = `qonline_manager_state_${createHash('sha1').update(schema).digest('hex').slice(0, 12)}`;
    const admin = await PgDriver.open({ url: PG_URL!, poolSize: 1 });
    const store = await openPostgresStore({ url: PG_URL!, schema, poolSize: 1 });
    try {
      const killed = await admin.all<{ pid: number }>(`SELECT pid FROM pg_stat_activity WHERE query = ? AND pid <> pg_backend_pid()`, [`LISTEN "${channel}"`]);
      expect(killed).toHaveLength(1);
      await admin.all(`SELECT pg_terminate_backend(?)`, [killed[0]!.pid]);
      await until('the LISTEN session to end', () => admin.all(`SELECT 1 FROM pg_stat_activity WHERE pid = ?`, [killed[0]!.pid]), (rows) => rows.length === 0);
      const st = (await store.getManager('tiny'))!;
      await store.putManager({ ...st, stateVersion: st.stateVersion + 1 }, st.stateVersion);
      const h3 = await until('the re-checked version', health, (h) => h.stateVersion === h2.stateVersion + 1);
      expect(h3.snapshot.refreshes).toEqual({ start: 1, request: 0, notify: 1, fallback: 0, reconnect: 1 });
    } finally {
      await store.close();
      await admin.close();
    }
    child.kill('SIGTERM');
    expect(await new Promise<number | null>((r) => (child.exitCode !== null ? r(child.exitCode) : child.on('close', r)))).toBe(0);
  }, 300_000);
});
