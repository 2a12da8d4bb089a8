// The CLI: bundled as CommonJS into dist/cli-main.cjs and run by dist/cli.js (plugins/cli-launcher.ts) with a code cache.
import 'reflect-metadata';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import * as pluginApi from '../core/index.js';
import { installStderrKillSwitch } from '../core/cli/failpoint.js';
import { main } from '../core/cli/main.js';
import { shareBundledModules } from '../core/kernel/plugin-loader.js';
import { builtinPluginEntries } from './builtins.js';
import * as library from './index.js';

// Plugins importing qonline's entries get this bundle's instances (one core per process); plugin files
// are imported by the launcher's import() (plugins/cli-launcher.ts).
const importModule = (globalThis as Record<symbol, unknown>)[Symbol.for('qonline.import-module')] as (url: string) => Promise<Record<string, unknown>>;
shareBundledModules(path.dirname(fileURLToPath(import.meta.url)), { 'plugin-api.js': pluginApi, 'index.js': library }, importModule);
installStderrKillSwitch();
main(process.argv.slice(2), builtinPluginEntries()).then(
  (code) => {
    process.exitCode = code;
  },
  (e) => {
    console.error(e);
    process.exitCode = 1;
  },
);
