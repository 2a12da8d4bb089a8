import { definePlugin, TOKENS } from '../../core/index.js';
import { ProcessMetricsEndpoint } from './src/endpoint.js';

export { QonlineMetrics } from './src/qonline-metrics.js';

export const metricsPlugin = definePlugin({
  name: 'metrics',
  version: '0.1.0',
  description: "Prometheus metrics (prom-client) shared by serve's /metrics and the --metrics-port of daemon and worker.",
  components: [],
  register(ctx) {
    ctx.provide(TOKENS.metrics, () => ({ create: (process: string) => new ProcessMetricsEndpoint(process) }));
  },
});
