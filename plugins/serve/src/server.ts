import Fastify, { LogController, type FastifyInstance, type FastifyReply, type FastifyRequest } from 'fastify';
import { emptyTaskStat, type OpenedManager, type TaskStat } from '../../../core/index.js';
import { QonlineMetrics } from '../../metrics/index.js';
import { buildDashboardData, type DashboardData } from './data.js';
import { buildOpenApi, type RouteDoc } from './openapi.js';
import { APP_CSS, APP_JS, pageHtml, PAGES } from './page.js';
import { S } from './schemas.js';
import { STATE_VERSION_HEADER, uplotAssets } from './assets.js';
import { signalsBody, SnapshotCache, type Snapshot } from './snapshot.js';

export interface ServerOptions {
  /** Pino logger options, or false for none. */
  logger?: boolean | Record<string, unknown>;
  /** Mount POST /api/rollback and POST /api/online (they need `token`). */
  allowWrites?: boolean;
  token?: string;
  /** Without store notifications (SQLite): minimum milliseconds between two state-version checks made by requests (default 20). */
  checkMs?: number;
  /** With store notifications (PostgreSQL LISTEN/NOTIFY): milliseconds between background fallback checks (default 2000). */
  fallbackMs?: number;
}

export { STATE_VERSION_HEADER, uplotAssets };

/** A real calendar date YYYY-MM-DD (2020-02-30 is not). */
export function isRealDate(s: string): boolean {
  if (!/^\d{4}-\d{2}-\d{2}$/.test(s)) return false;
  const t = Date.parse(`${s}T00:00:00Z`);
  return !Number.isNaN(t) && new Date(t).toISOString().slice(0, 10) === s;
}

class HttpError extends Error {
  constructor(
    readonly statusCode: number,
    message: string,
  ) {
    super(message);
  }
}

function fnv(s: string): string {
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) h = Math.imul(h ^ s.charCodeAt(i), 0x01000193);
  return (h >>> 0).toString(36);
}

const STATUS_TEXT: Record<number, string> = { 400: 'Bad Request', 401: 'Unauthorized', 403: 'Forbidden', 404: 'Not Found', 405: 'Method Not Allowed', 500: 'Internal Server Error', 503: 'Service Unavailable' };

const SECURITY_HEADERS = { 'x-content-type-options': 'nosniff', 'x-frame-options': 'DENY', 'referrer-policy': 'no-referrer' } as const;

/** Pages run only the scripts and styles served from /assets (no inline code; the scripts style elements through the DOM). */
export const CSP = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

/** The HTTP API and the dashboard of one manager, on Fastify. */
export async function buildServer(m: OpenedManager, opts: ServerOptions = {}): Promise<FastifyInstance> {
  const app = Fastify({
    logger: opts.logger ?? false,
    // One access-log line per request (onResponse below) instead of Fastify's two.
    logController: new LogController({ disableRequestLogging: true }),
    connectionTimeout: 30_000,
    keepAliveTimeout: 5_000,
    requestTimeout: 30_000,
    maxRequestsPerSocket: 10_000,
    bodyLimit: 64 * 1024,
    return503OnClosing: true,
    routerOptions: { ignoreTrailingSlash: true },
  });
  const cache = new SnapshotCache(m, { checkMs: opts.checkMs, fallbackMs: opts.fallbackMs, onWatchError: (e) => app.log.warn({ err: { message: e.message } }, 'no state notifications from the store; requests check the state version') });
  await cache.start();
  app.addHook('onClose', () => cache.stop());
  const mj = JSON.stringify(m.manager);
  const routes: RouteDoc[] = [];
  app.addHook('onRoute', (r) => {
    if (r.url.startsWith('/api/') && r.schema && r.method !== 'HEAD') routes.push({ method: String(r.method), url: r.url, schema: r.schema as Record<string, unknown> });
  });

  // Hooks in callback style: every request runs them, and a promise each is measurable at these rates.
  app.addHook('onSend', (_req, reply, payload, done) => {
    reply.headers(SECURITY_HEADERS);
    const ct = reply.getHeader('content-type');
    if (typeof ct === 'string' && ct.startsWith('text/html')) reply.header('content-security-policy', CSP);
    done(null, payload);
  });
  // Prometheus metrics (GET /metrics): the definitions daemon and worker share, one registry per server.
  const metrics = new QonlineMetrics({ process: 'serve', http: true });
  const accessLog = Boolean(opts.logger);
  app.addHook('onResponse', (req, reply, done) => {
    metrics.observeRequest(req.routeOptions.url ?? 'unknown', reply.statusCode, reply.elapsedTime / 1000);
    if (accessLog) req.log.info({ method: req.method, url: req.url, status: reply.statusCode, ms: Number(reply.elapsedTime.toFixed(2)), remote: req.ip }, 'request');
    done();
  });
  app.setErrorHandler((err: Error & { statusCode?: number; validation?: unknown }, req, reply) => {
    const code = err.validation ? 400 : err instanceof HttpError ? err.statusCode : err.statusCode && err.statusCode >= 400 && err.statusCode < 500 ? err.statusCode : 500;
    if (code >= 500) req.log.error({ err: { message: err.message } }, 'request failed');
    void reply.code(code).type('application/json').send({ statusCode: code, error: STATUS_TEXT[code] ?? 'Error', message: code >= 500 ? 'internal error' : err.message });
  });
  app.setNotFoundHandler((req, reply) => {
    void reply.code(404).type('application/json').send({ statusCode: 404, error: 'Not Found', message: `no route ${req.method} ${req.url.split('?')[0]}; see /api/openapi.json` });
  });

  const snap = async (): Promise<Snapshot> => {
    const c = cache.current();
    return c instanceof Promise ? await c : c;
  };
  /** Sets the state-version header and ETag; true when the client's copy is current (304 sent). */
  const fresh = (req: FastifyRequest, reply: FastifyReply, version: number, tag: string): boolean => {
    const etag = `"${version}-${tag}"`;
    reply.header(STATE_VERSION_HEADER, String(version));
    reply.header('etag', etag);
    reply.header('cache-control', 'no-cache');
    if (req.headers['if-none-match'] === etag) {
      void reply.code(304).send();
      return true;
    }
    return false;
  };
  const json = (reply: FastifyReply, body: string): string => {
    void reply.type('application/json; charset=utf-8');
    return body;
  };
  const versioned = (s: Snapshot, body: Record<string, unknown>): string => JSON.stringify({ manager: m.manager, stateVersion: s.version, ...body });

  app.get('/api/health', { schema: S.health }, async (req, reply) => {
    const s = await snap();
    // The refresh counts move within a version: the ETag hashes the body.
    const body = versioned(s, { ok: true, lastRoutine: s.lastRoutine, dates: s.dates.length, snapshot: { notified: cache.notified, refreshes: cache.refreshes } });
    if (fresh(req, reply, s.version, fnv(body))) return reply;
    return json(reply, body);
  });

  /** The hot path: a prepared body per date (bytes and ETag made once per state version). */
  const sendSignals = (req: FastifyRequest, reply: FastifyReply, s: Snapshot, date: string | null): FastifyReply => {
    const p = (date !== null && s.signals.get(date)) || signalsBody(m.manager, s.version, date, '[]');
    reply.header(STATE_VERSION_HEADER, s.version).header('etag', p.etag).header('cache-control', 'no-cache');
    if (req.headers['if-none-match'] === p.etag) return reply.code(304).send();
    return reply.type('application/json; charset=utf-8').send(p.body);
  };
  app.get('/api/signals', { schema: S.signals }, (req, reply) => {
    const q = req.query as { date?: string };
    const c = cache.current();
    // A date with signals is a real date: only the others need the calendar check.
    if (q.date !== undefined && (c instanceof Promise || !c.signals.has(q.date)) && !isRealDate(q.date)) throw new HttpError(400, `date ${JSON.stringify(q.date)} is not a calendar date (YYYY-MM-DD)`);
    const date = (s: Snapshot): string | null => q.date ?? s.dates[s.dates.length - 1] ?? null;
    if (c instanceof Promise) return c.then((s) => sendSignals(req, reply, s, date(s)));
    sendSignals(req, reply, c, date(c));
  });

  app.get('/api/signals/range', { schema: S.signalsRange }, async (req, reply) => {
    const q = req.query as { start: string; end: string };
    for (const k of ['start', 'end'] as const) if (!isRealDate(q[k])) throw new HttpError(400, `${k} ${JSON.stringify(q[k])} is not a calendar date (YYYY-MM-DD)`);
    if (q.start > q.end) throw new HttpError(400, `start ${q.start} is after end ${q.end}`);
    const s = await snap();
    if (fresh(req, reply, s.version, fnv(req.url))) return reply;
    const chunks: Buffer[] = [Buffer.from(`{"manager":${mj},"stateVersion":${s.version},"dates":[`)];
    for (const d of s.dates) {
      if (d < q.start || d > q.end) continue;
      const p = s.signals.get(d)!;
      chunks.push(Buffer.from(`${chunks.length > 1 ? ',' : ''}{"date":"${d}","signals":`), p.body.subarray(p.rows[0], p.rows[1]), Buffer.from('}'));
    }
    chunks.push(Buffer.from(']}'));
    void reply.type('application/json; charset=utf-8');
    return Buffer.concat(chunks);
  });

  app.get('/api/online', { schema: S.online }, async (req, reply) => {
    const s = await snap();
    if (fresh(req, reply, s.version, 'online')) return reply;
    return json(reply, versioned(s, { strategies: s.online }));
  });

  // What plugins add (report sections, e.g. a stored backtest) may change within a state version (a backtest rerun): read per request.
  // Built once per version from several reads: kept only if the version did not move during them (else from the newer snapshot).
  const dashboard = async (): Promise<{ s: Snapshot; d: DashboardData }> => {
    let s = await snap();
    for (let attempt = 0; ; attempt++) {
      const cur = s;
      const d = await cur.derived('dashboard', async () => {
        const data = await buildDashboardData(m, { sections: false });
        const after = (await m.store.getManager(m.manager))?.stateVersion ?? 0;
        return data.stateVersion === cur.version && after === cur.version ? data : null;
      });
      if (d) return { s, d };
      if (attempt >= 10) throw new HttpError(503, 'the manager state keeps changing; retry');
      s = await cache.check('request');
    }
  };

  app.get('/api/models', { schema: S.models }, async (req, reply) => {
    const { s, d } = await dashboard();
    if (fresh(req, reply, s.version, 'models')) return reply;
    return json(reply, versioned(s, { models: d.models }));
  });

  app.get('/api/models/:id', { schema: S.model }, async (req, reply) => {
    const { id } = req.params as { id: string };
    const { s, d } = await dashboard();
    if (fresh(req, reply, s.version, fnv(req.url))) return reply;
    let row = d.models.find((x) => x.id === id);
    if (!row) {
      const byPrefix = d.models.filter((x) => x.id.startsWith(id));
      if (byPrefix.length > 1) throw new HttpError(400, `id prefix ${JSON.stringify(id)} is ambiguous (${byPrefix.length} recorders)`);
      row = byPrefix[0];
    }
    if (!row) throw new HttpError(404, `no recorder ${JSON.stringify(id)} in the strategies of manager ${m.manager}`);
    // The row of this version (its online flag); artifacts and the task never change.
    return json(reply, versioned(s, { model: row, artifacts: await m.store.listArtifacts(row.id), task: (await m.store.getArtifact(row.id, 'task')) ?? null }));
  });

  app.get('/api/history', { schema: S.history }, async (req, reply) => {
    const { s, d } = await dashboard();
    if (fresh(req, reply, s.version, 'history')) return reply;
    return json(reply, versioned(s, { history: d.history }));
  });

  app.get('/api/tasks/stat', { schema: S.tasksStat }, async (req, reply) => {
    const s = await snap();
    const pools: Record<string, TaskStat> = {};
    const total = emptyTaskStat();
    const running: Record<string, unknown>[] = [];
    if (m.taskPools) {
      for (const name of await m.taskPools.listPools()) {
        const pool = m.taskPools.pool(name);
        const st = await pool.stat();
        pools[name] = st;
        for (const k of Object.keys(st) as (keyof TaskStat)[]) total[k] += st[k];
        for (const t of await pool.query({ status: 'running' })) running.push({ id: t.id, pool: name, experiment: t.experiment, worker: t.worker, leaseExpires: t.lease?.expiresAt ?? null, attempts: t.attempts });
      }
    }
    const body = versioned(s, { pools, total, running });
    if (fresh(req, reply, s.version, fnv(body))) return reply;
    return json(reply, body);
  });

  app.get('/api/dashboard', { schema: S.dashboard }, async (req, reply) => {
    const { s, d } = await dashboard();
    const sections = m.reportSections ? await m.reportSections() : [];
    const body = JSON.stringify({ ...d, sections });
    if (fresh(req, reply, s.version, fnv(body))) return reply;
    return json(reply, body);
  });

  if (opts.allowWrites) {
    const token = opts.token;
    if (!token) throw new HttpError(500, 'writes need a token');
    const auth = (req: FastifyRequest): void => {
      if (req.headers.authorization !== `Bearer ${token}`) throw new HttpError(401, 'a bearer token (QONLINE_API_TOKEN) is required');
    };
    app.post('/api/rollback', { schema: S.rollback }, async (req, reply) => {
      auth(req);
      const b = req.body as { strategy: string; to: string; effective?: string };
      if (!m.strategies.includes(b.strategy)) throw new HttpError(400, `manager ${m.manager} has no strategy ${JSON.stringify(b.strategy)}`);
      await m.rollback(b.strategy, b.to, b.effective ?? null);
      const st = await m.store.getManager(m.manager);
      req.log.warn({ audit: 'rollback', remote: req.ip, strategy: b.strategy, to: b.to, stateVersion: st?.stateVersion }, 'online set changed through the API');
      return json(reply, JSON.stringify({ ok: true, stateVersion: st?.stateVersion ?? 0 }));
    });
    app.post('/api/online', { schema: S.onlineSet }, async (req, reply) => {
      auth(req);
      const b = req.body as { strategy: string; recorders: string[]; effective?: string };
      if (!m.strategies.includes(b.strategy)) throw new HttpError(400, `manager ${m.manager} has no strategy ${JSON.stringify(b.strategy)}`);
      await m.setOnline(b.strategy, b.recorders, b.effective ?? null);
      const st = await m.store.getManager(m.manager);
      req.log.warn({ audit: 'online set', remote: req.ip, strategy: b.strategy, recorders: b.recorders, stateVersion: st?.stateVersion }, 'online set changed through the API');
      return json(reply, JSON.stringify({ ok: true, stateVersion: st?.stateVersion ?? 0 }));
    });
  }

  // Routes other plugins contribute (PluginManifest.apiRoutes), e.g. /api/users.
  for (const { plugin, route } of m.apiRoutes ?? []) {
    const isPage = route.contentType?.startsWith('text/html') ?? false;
    const isAsset = /^text\/(css|javascript)\b/.test(route.contentType ?? '');
    if (isAsset && (!route.url.startsWith('/assets/') || route.method !== 'GET')) throw new HttpError(500, `plugin ${plugin}: a stylesheet or script route (${route.url}) is a GET under /assets/`);
    if (!route.url.startsWith('/api/') && !isPage && !isAsset) throw new HttpError(500, `plugin ${plugin}: API route ${route.url} must start with /api/`);
    if (route.write && !opts.allowWrites) continue;
    app.route({
      method: route.method,
      url: route.url,
      schema: route.schema as Record<string, unknown>,
      handler: async (req, reply) => {
        if (route.write && req.headers.authorization !== `Bearer ${opts.token}`) throw new HttpError(401, 'a bearer token (QONLINE_API_TOKEN) is required');
        const s = await snap();
        const out = await route.handler({ store: m.store, manager: m.manager, strategies: m.strategies, params: req.params as Record<string, string>, query: req.query as Record<string, string>, body: req.body });
        if (route.write) {
          req.log.warn({ audit: `${plugin} ${route.method} ${route.url}`, remote: req.ip }, 'write through a plugin API route');
          reply.header(STATE_VERSION_HEADER, String(s.version));
        } else {
          // A plugin's data (users, backtests) may change without a new state version: the ETag hashes the body.
          const body = typeof out === 'string' ? out : String(reply.serialize(out));
          if (fresh(req, reply, s.version, fnv(body))) return reply;
          void reply.type(route.contentType ?? 'application/json; charset=utf-8');
          return body;
        }
        if (route.contentType) void reply.type(route.contentType);
        return out;
      },
    });
  }

  app.get('/metrics', async (_req, reply) => {
    const s = await snap();
    const pools: Record<string, TaskStat> = {};
    if (m.taskPools) for (const name of await m.taskPools.listPools()) pools[name] = await m.taskPools.pool(name).stat();
    metrics.setManager({
      manager: m.manager,
      stateVersion: s.version,
      lastRoutine: s.lastRoutine,
      signalDates: s.dates.length,
      coverage: s.coverage,
      pools,
    });
    metrics.setSnapshotReloads(cache.refreshes);
    void reply.type(metrics.contentType);
    return metrics.text();
  });

  app.get('/api/openapi.json', { schema: S.openapi }, async (_req, reply) => json(reply, JSON.stringify(buildOpenApi(routes))));

  // Pages and their bundled assets (plus the pages other plugins contribute, in the navigation).
  const extraPages = (m.apiRoutes ?? []).filter(({ route }) => route.method === 'GET' && route.contentType?.startsWith('text/html') && !route.url.includes(':')).map(({ route }) => ({ path: route.url, title: route.url.slice(1).replace(/^./, (c) => c.toUpperCase()) }));
  const page = (name: string) => async (req: FastifyRequest, reply: FastifyReply) => {
    const s = await snap();
    if (fresh(req, reply, s.version, 'page-' + name)) return reply;
    void reply.type('text/html; charset=utf-8');
    return pageHtml({ page: name, manager: m.manager, mode: 'live', extraPages });
  };
  for (const p of PAGES) app.get(p.path, page(p.name));
  const asset = (type: string, body: () => string) => async (_req: FastifyRequest, reply: FastifyReply) => {
    void reply.type(type).header('cache-control', 'public, max-age=3600');
    return body();
  };
  app.get('/assets/uplot.js', asset('text/javascript; charset=utf-8', () => uplotAssets().js));
  app.get('/assets/uplot.css', asset('text/css; charset=utf-8', () => uplotAssets().css));
  app.get('/assets/app.js', asset('text/javascript; charset=utf-8', () => APP_JS));
  app.get('/assets/app.css', asset('text/css; charset=utf-8', () => APP_CSS));
  return app;
}
