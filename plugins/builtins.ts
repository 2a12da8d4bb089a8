import type { PluginManifest } from '../core/index.js';
import { backtestPlugin } from './backtest/index.js';
import { dataQlibPlugin } from './data-qlib/index.js';
import { ensemblePlugin } from './ensemble/index.js';
import { metricsPlugin } from './metrics/index.js';
import { modelsPlugin } from './models/index.js';
import { rollingPlugin } from './rolling/index.js';
import { storeSqlitePlugin } from './store-sqlite/index.js';
import { storePostgresPlugin } from './store-postgres/index.js';
import { servePlugin } from './serve/index.js';
import { trainersPlugin } from './trainers/index.js';
import { stepsPlugin } from './steps/index.js';
import { recordsPlugin } from './records/index.js';
import { usersPlugin } from './users/index.js';

/** The built-in plugins: a static list (a directory scan breaks once bundled). */
export const BUILTIN_PLUGINS: PluginManifest[] = [dataQlibPlugin, modelsPlugin, rollingPlugin, trainersPlugin, ensemblePlugin, storeSqlitePlugin, storePostgresPlugin, backtestPlugin, stepsPlugin, recordsPlugin, usersPlugin, metricsPlugin, servePlugin];

export function builtinPluginEntries(): { manifest: PluginManifest; source: string }[] {
  return BUILTIN_PLUGINS.map((manifest) => ({ manifest, source: 'builtin' }));
}
