import { createRequire } from 'node:module';
import { QonlineError, type ManagerGauges, type MetricsEndpoint, type ProcessMetrics } from '../../../core/index.js';
import { QonlineMetrics } from './qonline-metrics.js';

/**
 * The metrics of a daemon or a worker, served on a plain `node:http`
 * endpoint: one route (`GET /metrics`), no framework needed. The manager's
 * state is read on each scrape; a failed read leaves those gauges at their
 * last values and the scrape still answers.
 */
/** node:http (~1 ms to load), required when an endpoint listens: every CLI call loads this plugin, few serve metrics. */
const requireCjs = createRequire(import.meta.url);

export class ProcessMetricsEndpoint extends QonlineMetrics implements ProcessMetrics {
  constructor(process: string) {
    super({ process });
  }

  async listen(o: { host: string; port: number; read: () => Promise<ManagerGauges | null> }): Promise<MetricsEndpoint> {
    const { createServer } = requireCjs('node:http') as typeof import('node:http');
    const server = createServer((req, res) => {
      const url = (req.url ?? '/').split('?')[0];
      if (url !== '/metrics' || (req.method !== 'GET' && req.method !== 'HEAD')) {
        res.writeHead(url === '/metrics' ? 405 : 404, { 'content-type': 'text/plain; charset=utf-8' }).end(url === '/metrics' ? 'GET /metrics only\n' : 'not found: the metrics are at /metrics\n');
        return;
      }
      void (async () => {
        try {
          const g = await o.read().catch(() => null);
          if (g) this.setManager(g);
          const body = await this.text();
          res.writeHead(200, { 'content-type': this.contentType }).end(req.method === 'HEAD' ? undefined : body);
        } catch (e) {
          res.writeHead(500, { 'content-type': 'text/plain; charset=utf-8' }).end(`metrics failed: ${(e as Error).message}\n`);
        }
      })();
    });
    // A scraper keeps one connection; nothing else should linger.
    server.keepAliveTimeout = 5_000;
    server.requestTimeout = 30_000;
    server.maxConnections = 64;
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(o.port, o.host, () => {
        server.off('error', reject);
        resolve();
      });
    }).catch((e: NodeJS.ErrnoException) => {
      const why = e.code === 'EADDRINUSE' ? `port ${o.port} on ${o.host} is already in use` : e.code === 'EACCES' ? `no permission to listen on ${o.host}:${o.port}` : `cannot listen on ${o.host}:${o.port}: ${e.message}`;
      throw new QonlineError('QONLINE_SERVE_LISTEN', `cannot serve metrics: ${why}`, {
        hint: e.code === 'EADDRINUSE' ? 'stop the other process or pass another --metrics-port (0 picks a free one)' : undefined,
      });
    });
    const addr = server.address();
    const port = typeof addr === 'object' && addr ? addr.port : o.port;
    const host = o.host.includes(':') ? `[${o.host}]` : o.host;
    return {
      url: `http://${host}:${port}/metrics`,
      close: () =>
        new Promise<void>((resolve) => {
          server.close(() => resolve());
          server.closeAllConnections();
        }),
    };
  }
}
