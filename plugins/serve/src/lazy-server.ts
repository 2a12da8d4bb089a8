import type { FastifyInstance } from 'fastify';
import type { OpenedManager } from '../../../core/index.js';
import type { ServerOptions } from './server.js';

/**
 * `buildServer`, with Fastify and prom-client loaded on the first call:
 * importing them costs ~0.15 s of CPU, which every other command (a daily
 * routine) would pay at start-up.
 */
export async function buildServer(m: OpenedManager, opts: ServerOptions = {}): Promise<FastifyInstance> {
  const server = await import('./server.js');
  return server.buildServer(m, opts);
}
