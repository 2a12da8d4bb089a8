import { definePlugin } from '../../core/index.js';
import { reportCommand, serveCommand } from './src/cli/serve-command.js';

export { buildDashboardData, type DashboardData } from './src/data.js';
export { buildServer } from './src/lazy-server.js';
export { STATE_VERSION_HEADER } from './src/assets.js';
export type { ServerOptions } from './src/server.js';
export { pageHtml } from './src/page.js';

export const servePlugin = definePlugin({
  name: 'serve',
  version: '0.1.0',
  description: 'The HTTP API (Fastify) and the dashboard (uPlot) of a manager: qonline serve, qonline report.',
  components: [],
  commands: [serveCommand, reportCommand],
});
