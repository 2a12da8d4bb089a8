import Fastify, { LogController, type FastifyInstance, type FastifyReply, type FastifyRequest } from 'fastify';
import { emptyTaskStat, type OpenedManager, type TaskStat } from '../../../core/index.js';
import { QonlineMetrics } from '../../metrics/index.js';
import { buildDashboardData, modelRow } from './data.js';
import { buildOpenApi, type RouteDoc } from './openapi.js';
import { APP_CSS, APP_JS, pageHtml, PAGES } from './page.js';
import { S } from './schemas.js';
import { STATE_VERSION_HEADER, uplotAssets } from './assets.js';
import { SnapshotCache, type Snapshot } from './snapshot.js';

export interface ServerOptions {
  /** Pino logger options, or false for none. */
  logger?: boolean | Record<string, unknown>;
  /** Mount POST /api/rollback and POST /api/online (they need `token`). */
  allowWrites?: boolean;
  token?: string;
  /** Minimum milliseconds between two state-version checks (default 20). */
  checkMs?: number;
  /** Reads the stored backtest of the manager (a backtest plugin's result), when there is one. */
  backtest?: () => Promise<unknown>;
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

export const CSP = "default-src 'none'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; connect-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

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
  const cache = new SnapshotCache(m, opts.checkMs ?? 20);
  const mj = JSON.stringify(m.manager);
  const routes: RouteDoc[] = [];
  app.addHook('onRoute', (r) => {
    if (r.url.startsWith('/api/') && r.schema && r.method !== 'HEAD') routes.push({ method: String(r.method), url: r.url, schema: r.schema as Record<string, unknown> });
  });

  app.addHook('onSend', async (_req, reply, payload) => {
    reply.header('x-content-type-options', 'nosniff');
    reply.header('x-frame-options', 'DENY');
    reply.header('referrer-policy', 'no-referrer');
    const ct = String(reply.getHeader('content-type') ?? '');
    if (ct.startsWith('text/html')) reply.header('content-security-policy', CSP);
    return payload;
  });
  // Prometheus metrics (GET /metrics): the definitions daemon and worker share, one registry per server.
  const metrics = new QonlineMetrics({ process: 'serve', http: true });
  app.addHook('onResponse', async (req, reply) => {
    metrics.observeRequest(req.routeOptions.url ?? 'unknown', reply.statusCode, reply.elapsedTime / 1000);
    req.log.info({ method: req.method, url: req.url, status: reply.statusCode, ms: Number(reply.elapsedTime.toFixed(2)), remote: req.ip }, 'request');
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
    if (fresh(req, reply, s.version, 'health')) return reply;
    return json(reply, versioned(s, { ok: true, lastRoutine: s.lastRoutine, dates: s.dates.length }));
  });

  app.get('/api/signals', { schema: S.signals }, async (req, reply) => {
    const q = req.query as { date?: string };
    if (q.date !== undefined && !isRealDate(q.date)) throw new HttpError(400, `date ${JSON.stringify(q.date)} is not a calendar date (YYYY-MM-DD)`);
    const s = await snap();
    if (fresh(req, reply, s.version, fnv(req.url))) return reply;
    const date = q.date ?? s.dates[s.dates.length - 1] ?? null;
    const rows = (date !== null && s.rowsJson.get(date)) || '[]';
    return json(reply, `{"manager":${mj},"stateVersion":${s.version},"date":${date === null ? 'null' : JSON.stringify(date)},"signals":${rows}}`);
  });

  app.get('/api/signals/range', { schema: S.signalsRange }, async (req, reply) => {
    const q = req.query as { start: string; end: string };
    for (const k of ['start', 'end'] as const) if (!isRealDate(q[k])) throw new HttpError(400, `${k} ${JSON.stringify(q[k])} is not a calendar date (YYYY-MM-DD)`);
    if (q.start > q.end) throw new HttpError(400, `start ${q.start} is after end ${q.end}`);
    const s = await snap();
    if (fresh(req, reply, s.version, fnv(req.url))) return reply;
    const parts = s.dates.filter((d) => d >= q.start && d <= q.end).map((d) => `{"date":"${d}","signals":${s.rowsJson.get(d)}}`);
    return json(reply, `{"manager":${mj},"stateVersion":${s.version},"dates":[${parts.join(',')}]}`);
  });

  app.get('/api/online', { schema: S.online }, async (req, reply) => {
    const s = await snap();
    if (fresh(req, reply, s.version, 'online')) return reply;
    return json(reply, versioned(s, { strategies: s.online }));
  });

  const dashboard = (s: Snapshot) =>
    s.derived('dashboard', async () => {
      const backtest = opts.backtest ? await opts.backtest().catch(() => null) : null;
      return buildDashboardData(m, { backtest });
    });

  app.get('/api/models', { schema: S.models }, async (req, reply) => {
    const s = await snap();
    if (fresh(req, reply, s.version, 'models')) return reply;
    const d = await dashboard(s);
    return json(reply, versioned(s, { models: d.models }));
  });

  app.get('/api/models/:id', { schema: S.model }, async (req, reply) => {
    const { id } = req.params as { id: string };
    const s = await snap();
    if (fresh(req, reply, s.version, fnv(req.url))) return reply;
    const d = await dashboard(s);
    let row = d.models.find((x) => x.id === id);
    if (!row) {
      const byPrefix = d.models.filter((x) => x.id.startsWith(id));
      if (byPrefix.length > 1) throw new HttpError(400, `id prefix ${JSON.stringify(id)} is ambiguous (${byPrefix.length} recorders)`);
      row = byPrefix[0];
    }
    if (!row) throw new HttpError(404, `no recorder ${JSON.stringify(id)} in the strategies of manager ${m.manager}`);
    const rec = await m.store.getRecorder(row.id);
    const fullRow = await modelRow(m, rec);
    return json(reply, versioned(s, { model: fullRow, artifacts: await m.store.listArtifacts(row.id), task: (await m.store.getArtifact(row.id, 'task')) ?? null }));
  });

  app.get('/api/history', { schema: S.history }, async (req, reply) => {
    const s = await snap();
    if (fresh(req, reply, s.version, 'history')) return reply;
    const d = await dashboard(s);
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

  app.get('/api/backtest', { schema: S.backtest }, async (req, reply) => {
    const s = await snap();
    if (fresh(req, reply, s.version, 'backtest')) return reply;
    const d = await dashboard(s);
    if (d.backtest === null || d.backtest === undefined) throw new HttpError(404, `manager ${m.manager} has no stored backtest`);
    return json(reply, versioned(s, { backtest: d.backtest }));
  });

  app.get('/api/dashboard', { schema: S.dashboard }, async (req, reply) => {
    const s = await snap();
    if (fresh(req, reply, s.version, 'dashboard')) return reply;
    return json(reply, JSON.stringify(await dashboard(s)));
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
    if (!route.url.startsWith('/api/') && !isPage) throw new HttpError(500, `plugin ${plugin}: API route ${route.url} must start with /api/`);
    if (route.write && !opts.allowWrites) continue;
    app.route({
      method: route.method,
      url: route.url,
      schema: route.schema as Record<string, unknown>,
      handler: async (req, reply) => {
        if (route.write && req.headers.authorization !== `Bearer ${opts.token}`) throw new HttpError(401, 'a bearer token (QONLINE_API_TOKEN) is required');
        const s = await snap();
        if (!route.write && fresh(req, reply, s.version, fnv(plugin + req.url))) return reply;
        const out = await route.handler({ store: m.store, manager: m.manager, strategies: m.strategies, params: req.params as Record<string, string>, query: req.query as Record<string, string>, body: req.body });
        if (route.write) req.log.warn({ audit: `${plugin} ${route.method} ${route.url}`, remote: req.ip }, 'write through a plugin API route');
        if (route.contentType) void reply.type(route.contentType);
        return out;
      },
    });
  }

  app.get('/metrics', async (_req, reply) => {
    const s = await snap();
    const last = s.dates[s.dates.length - 1];
    const pools: Record<string, TaskStat> = {};
    if (m.taskPools) for (const name of await m.taskPools.listPools()) pools[name] = await m.taskPools.pool(name).stat();
    metrics.setManager({
      manager: m.manager,
      stateVersion: s.version,
      lastRoutine: s.lastRoutine,
      signalDates: s.dates.length,
      coverage: last ? (JSON.parse(s.rowsJson.get(last) ?? '[]') as unknown[]).length : 0,
      pools,
    });
    void reply.type(metrics.contentType);
    return metrics.text();
  });

  app.get('/api/openapi.json', async (_req, reply) => json(reply, JSON.stringify(buildOpenApi(routes))));

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
