import { mkdirSync, renameSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { QonlineError, type CliCommand, type CliCommandContext, type OpenedManager } from '../../../../core/index.js';
import { buildDashboardData } from '../data.js';
import { pageHtml } from '../page.js';
import { uplotAssets } from '../assets.js';
import { buildServer } from '../lazy-server.js';

function configArg(ctx: CliCommandContext, command: string): string {
  const file = ctx.args.positionals[0];
  if (!file) throw new QonlineError('QONLINE_USAGE', `usage: qonline ${command} CONFIG`);
  return file;
}

async function open(ctx: CliCommandContext, file: string): Promise<OpenedManager> {
  if (!ctx.openManager) throw new QonlineError('QONLINE_USAGE', 'this qonline host cannot open a pipeline config');
  return ctx.openManager(file);
}

const LOOPBACK = new Set(['127.0.0.1', '::1', 'localhost']);

export const serveCommand: CliCommand = {
  name: 'serve',
  longRunning: true,
  usage: 'serve CONFIG [--port N] [--host H] [--allow-writes] [--fallback-ms N]',
  summary: 'Serve the JSON API (signals, online models, history, tasks) and the dashboard over HTTP',
  flags: {
    port: { value: true, description: 'Port (default 8377; 0 = any free port)' },
    host: { value: true, description: 'Interface (default 127.0.0.1, loopback only)' },
    'allow-writes': { description: 'Mount POST /api/rollback and POST /api/online; they need the bearer token from QONLINE_API_TOKEN' },
    'fallback-ms': { value: true, description: 'When the store notifies state changes (PostgreSQL LISTEN/NOTIFY): check the state version in the background every N ms anyway, in case a notification was lost (default 2000)' },
  },
  async run(ctx) {
    const file = configArg(ctx, 'serve');
    const port = Number((ctx.args.flags['port'] as string | undefined) ?? 8377);
    if (!Number.isInteger(port) || port < 0 || port > 65535) throw new QonlineError('QONLINE_USAGE', '--port expects 0..65535');
    const host = (ctx.args.flags['host'] as string | undefined) ?? '127.0.0.1';
    const allowWrites = Boolean(ctx.args.flags['allow-writes']);
    const fallbackMs = Number((ctx.args.flags['fallback-ms'] as string | undefined) ?? 2000);
    if (!Number.isInteger(fallbackMs) || fallbackMs < 10) throw new QonlineError('QONLINE_USAGE', '--fallback-ms expects an integer >= 10');
    const token = ctx.env['QONLINE_API_TOKEN'] || undefined;
    if (allowWrites && !token) throw new QonlineError('QONLINE_USAGE', '--allow-writes needs a bearer token in QONLINE_API_TOKEN');
    if (!LOOPBACK.has(host) && !token) ctx.logger.warn(`serving on ${host} without QONLINE_API_TOKEN: anyone who can reach this address reads the signals`);
    const m = await open(ctx, file);
    const app = await buildServer(m, {
      allowWrites,
      token,
      fallbackMs,
      logger: ctx.json ? false : { level: 'info', stream: process.stderr, timestamp: () => `,"time":"${new Date().toISOString()}"` },
    });
    try {
      await app.listen({ port, host });
    } catch (e) {
      await app.close().catch(() => undefined);
      await m.close();
      const code = (e as NodeJS.ErrnoException).code;
      const why = code === 'EADDRINUSE' ? `port ${port} on ${host} is already in use` : code === 'EACCES' ? `no permission to listen on ${host}:${port}` : `cannot listen on ${host}:${port}: ${(e as Error).message}`;
      throw new QonlineError('QONLINE_SERVE_LISTEN', why, { hint: code === 'EADDRINUSE' ? 'stop the other server or pass another --port (0 picks a free one)' : undefined });
    }
    app.server.maxConnections = 1024;
    const addr = app.server.address();
    const actual = typeof addr === 'object' && addr ? addr.port : port;
    const shown = host.includes(':') ? `[${host}]` : host;
    ctx.logger.info(`serving manager ${m.manager} on http://${shown}:${actual}/ (Ctrl-C to stop)`);
    ctx.stdout(JSON.stringify({ url: `http://${shown}:${actual}/` }) + '\n');
    await new Promise<void>((resolve) => {
      const stop = (): void => {
        process.off('SIGINT', stop);
        process.off('SIGTERM', stop);
        // Graceful: stop accepting, let in-flight requests finish, close idle keep-alive sockets.
        app.close().then(() => resolve(), () => resolve());
      };
      process.once('SIGINT', stop);
      process.once('SIGTERM', stop);
    });
    await m.close();
  },
};

export const reportCommand: CliCommand = {
  name: 'report',
  usage: 'report CONFIG [--out FILE]',
  summary: 'Write a self-contained HTML report (every dashboard page, charts inlined, works offline)',
  flags: { out: { value: true, description: 'Output file (default: <home>/reports/<manager>.html)' } },
  async run(ctx) {
    const file = configArg(ctx, 'report');
    const m = await open(ctx, file);
    try {
      const data = await buildDashboardData(m);
      const assets = uplotAssets();
      const html = pageHtml({ page: 'overview', manager: m.manager, mode: 'report', data, tasks: null, assets: { uplotJs: assets.js, uplotCss: assets.css } });
      const out = path.resolve((ctx.args.flags['out'] as string | undefined) ?? path.join(m.home, 'reports', `${m.manager}.html`));
      mkdirSync(path.dirname(out), { recursive: true });
      const tmp = `${out}.tmp-${process.pid}`;
      writeFileSync(tmp, html);
      renameSync(tmp, out);
      ctx.print({ out, dates: data.dates.length, meanIc: data.meanIc, meanRankIc: data.meanRankIc, risk: data.risk, sections: data.sections.map((x) => ({ id: x.id, title: x.title, cards: x.cards })) }, () => `report written to ${out} (${data.dates.length} signal dates, mean IC ${data.meanIc === null ? '–' : data.meanIc.toFixed(4)})`);
    } finally {
      await m.close();
    }
  },
};
