import { fileURLToPath } from 'node:url';
import { defineConfig } from 'tsup';

// One build with shared chunks: the CLI, the library and worker threads use one copy of core/.
export default defineConfig({
  entry: {
    'plugin-api': 'core/index.ts',
    index: 'plugins/index.ts',
    cli: 'plugins/cli.ts',
    bench: 'bench/index.ts',
    'gbdt-worker': 'plugins/models/src/gbdt/hist.worker.ts',
    'xgb-worker': 'plugins/models/src/xgb/xgb-hist.worker.ts',
    'data-worker': 'plugins/data-qlib/src/parallel/feature.worker.ts',
    'precompile-validators': 'plugins/precompile-validators.ts',
  },
  format: ['esm'],
  target: 'node20',
  platform: 'node',
  splitting: true,
  sourcemap: true,
  clean: true,
  dts: { entry: { 'plugin-api': 'core/index.ts', index: 'plugins/index.ts' } },
  shims: false,
  outDir: 'dist',
  // yaml's CommonJS build is ~70 files: its ES module build is bundled, so a CLI process (a daily routine)
  // loads one chunk instead of resolving and compiling each file (the builds differ only in a debug hook).
  // Likewise tsyringe (33 CommonJS files, ~25 ms of every CLI call: its ES2015 build is bundled), the
  // reflect-metadata polyfill it needs, and node-cron (~6 ms as two ES modules).
  noExternal: ['yaml', 'tsyringe', 'reflect-metadata', 'node-cron'],
  esbuildOptions(options) {
    options.alias = {
      ...options.alias,
      yaml: fileURLToPath(new URL('./node_modules/yaml/browser/index.js', import.meta.url)),
      tsyringe: fileURLToPath(new URL('./node_modules/tsyringe/dist/esm2015/index.js', import.meta.url)),
    };
  },
  // Precompiled config validators (ajv standalone code), loaded by core/kernel/validator.ts.
  onSuccess: 'node dist/precompile-validators.js',
});
