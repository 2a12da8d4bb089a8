import { mkdirSync, renameSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import path from 'node:path';
import { QonlineError } from '../../errors/index.js';
import { openPipeline, prepareConfig } from '../../engine/pipeline.js';
import { ONLINE_TAG } from '../../online/task-runner.js';
import { buildReportData, renderReportHtml, reportSections } from '../../report/report.js';
import type { Command } from '../context.js';
import { requireConfig } from './shared.js';
// `/api/users` answers what the users plugin's `users list/show --json` print (run through the CLI's entry at request time)
import { main } from '../main.js';

export const reportCommand: Command = {
  name: 'report',
  usage: 'report CONFIG [--out FILE]',
  summary: 'Write an HTML report: cumulative return and IC of the signal, coverage, the online-model timeline',
  flags: { out: { value: true, description: 'Output file (default: <home>/reports/<manager>.html)' } },
  async run(ctx) {
    const file = requireConfig(ctx, 'report');
    const p = await openPipeline(await prepareConfig(file, ctx.engine()));
    try {
      const data = await buildReportData(p.store, p.manager.name, 0.2, await reportSections(p.kernel));
      const out = path.resolve((ctx.args.flags['out'] as string | undefined) ?? path.join(p.home, 'reports', `${p.manager.name}.html`));
      mkdirSync(path.dirname(out), { recursive: true });
      const tmp = `${out}.tmp-${process.pid}`;
      writeFileSync(tmp, renderReportHtml(data));
      renameSync(tmp, out);
      ctx.print({ out, dates: data.dates.length, meanIc: data.meanIc, meanRankIc: data.meanRankIc, risk: data.risk, sections: data.sections.map((x) => ({ id: x.id, title: x.title, cards: x.cards })) }, () => `report written to ${out} (${data.dates.length} signal dates, mean IC ${data.meanIc.toFixed(4)})`);
    } finally {
      await p.close();
    }
  },
};

export const serveCommand: Command = {
  name: 'serve',
  longRunning: true,
  usage: 'serve CONFIG [--port N] [--host H]',
  summary: 'Serve signals and a live dashboard over HTTP; every request reads the store, so new online sets show without a restart',
  flags: {
    port: { value: true, description: 'Port (default 8377; 0 = any free port)' },
    host: { value: true, description: 'Interface (default 127.0.0.1)' },
  },
  async run(ctx) {
    const file = requireConfig(ctx, 'serve');
    const port = Number((ctx.args.flags['port'] as string | undefined) ?? 8377);
    if (!Number.isInteger(port) || port < 0 || port > 65535) throw new QonlineError('QONLINE_USAGE', '--port expects 0..65535');
    const host = (ctx.args.flags['host'] as string | undefined) ?? '127.0.0.1';
    const p = await openPipeline(await prepareConfig(file, ctx.engine()));
    const manager = p.manager.name;
    const sections = await reportSections(p.kernel);
    const server = createServer((req, res) => {
      void (async () => {
        const url = new URL(req.url ?? '/', 'http://localhost');
        const json = (code: number, body: unknown): void => {
          res.writeHead(code, { 'content-type': 'application/json' });
          res.end(JSON.stringify(body));
        };
        try {
          if (url.pathname === '/' || url.pathname === '/dashboard') {
            const html = renderReportHtml(await buildReportData(p.store, manager, 0.2, sections), { refreshSeconds: 30 });
            res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' });
            res.end(html);
          } else if (url.pathname === '/api/health') {
            const st = await p.store.getManager(manager);
            json(200, { ok: true, manager, stateVersion: st?.stateVersion ?? 0, lastRoutine: st?.lastRoutine ?? null });
          } else if (url.pathname === '/api/signals') {
            let date = url.searchParams.get('date');
            if (!date) {
              const ds = await p.store.signalDates(manager);
              date = ds[ds.length - 1] ?? null;
            }
            const st = await p.store.getManager(manager);
            const sig = date ? await p.store.readSignals(manager, { start: date, end: date }) : { dates: [], instruments: [], scores: new Float64Array(0) };
            json(200, { manager, date, stateVersion: st?.stateVersion ?? 0, signals: sig.instruments.map((inst, i) => ({ instrument: inst, score: sig.scores[i] })) });
          } else if (url.pathname === '/api/online') {
            const out: Record<string, unknown[]> = {};
            for (const s of p.strategies) {
              const recs = await p.store.listRecorders({ experiment: s.name, tags: { [ONLINE_TAG]: 'online' } });
              out[s.name] = recs.map((r) => ({ id: r.id, model: r.params.model_class, test: [r.params.test_start, r.params.test_end ?? null], metrics: r.metrics }));
            }
            json(200, out);
          } else if (url.pathname === '/users' && ctx.builtins.some((b) => b.manifest.commands?.some((c) => c.name === 'users page'))) {
            let out = '';
            const home = ctx.args.flags['home'];
            const code = await main(['users', 'page', '--quiet', '--config', file, ...(typeof home === 'string' ? ['--home', home] : [])], ctx.builtins, { ...ctx.io, stdout: (t) => (out += t), stderr: () => undefined });
            res.writeHead(code === 0 ? 200 : 500, { 'content-type': 'text/html; charset=utf-8' });
            res.end(out);
          } else if ((url.pathname === '/api/users' || url.pathname.startsWith('/api/users/')) && ctx.builtins.some((b) => b.manifest.commands?.some((c) => c.name === 'users list'))) {
            const id = url.pathname === '/api/users' ? null : decodeURIComponent(url.pathname.slice('/api/users/'.length));
            let out = '';
            const home = ctx.args.flags['home'];
            const argv = [...(id === null ? ['users', 'list'] : ['users', 'show', id]), '--json', '--quiet', '--config', file, ...(typeof home === 'string' ? ['--home', home] : [])];
            const code = await main(argv, ctx.builtins, { ...ctx.io, stdout: (t) => (out += t), stderr: () => undefined });
            json(code === 0 ? 200 : code === 2 ? 404 : 500, JSON.parse(out || 'null'));
          } else json(404, { error: 'not found', endpoints: ['/', '/api/health', '/api/signals?date=YYYY-MM-DD', '/api/online', '/api/users', '/api/users/:id', '/users'] });
        } catch (e) {
          json(500, { error: (e as Error).message });
        }
      })();
    });
    await new Promise<void>((resolve) => server.listen(port, host, resolve));
    const addr = server.address();
    const actual = typeof addr === 'object' && addr ? addr.port : port;
    ctx.engine().logger.child('serve').info(`serving manager ${manager} on http://${host}:${actual}/ (Ctrl-C to stop)`);
    ctx.io.stdout(JSON.stringify({ url: `http://${host}:${actual}/` }) + '\n');
    await new Promise<void>((resolve) => {
      const stop = (): void => {
        server.close(() => resolve());
      };
      process.once('SIGINT', stop);
      process.once('SIGTERM', stop);
    });
    await p.close();
  },
};
