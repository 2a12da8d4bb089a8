import { existsSync } from 'node:fs';
import path from 'node:path';
import { definePlugin, defineComponent, S, SqlExperimentStore, TOKENS, type SqlStoreOptions } from '../../core/index.js';
import { SqliteDriver } from './src/sqlite-driver.js';

export { SqliteDriver } from './src/sqlite-driver.js';
export { sqliteDialect } from './src/sqlite-dialect.js';

/** Opens (creating and migrating) a SQLite experiment store. */
export async function openSqliteStore(file: string, options: SqlStoreOptions = {}): Promise<SqlExperimentStore> {
  return SqlExperimentStore.open(await SqliteDriver.open({ file }), options);
}

const sqliteStore = defineComponent({
  kind: 'store',
  name: 'SQLiteStore',
  aliases: ['sqlite'],
  description: 'Experiments, recorders, predictions, signals and history in one SQLite file (safe across processes on one machine).',
  schema: S.object({
    path: S.optional(S.string({ description: 'Database file, relative to the home folder. Default `store.sqlite`.' })),
    busy_timeout_ms: S.optional(S.integer({ minimum: 0, description: 'How long to wait for another process holding the write lock.' })),
  }),
  deps: { home: TOKENS.home, clock: TOKENS.clock },
  dispose: (store) => store.close(),
  // Closing the store's connections needs nothing older (the data provider) and they nothing of it.
  disposeAlongside: true,
  exists: (options, ctx) => existsSync(path.resolve(ctx.home, options.path ?? 'store.sqlite')),
  async openReadOnly(options, ctx) {
    const file = path.resolve(ctx.home, options.path ?? 'store.sqlite');
    if (!existsSync(file)) return null;
    return SqlExperimentStore.openReadOnly(await SqliteDriver.open({ file, existingOnly: true }));
  },
  async create(options, ctx) {
    const file = path.resolve(ctx.deps.home, options.path ?? 'store.sqlite');
    return openSqliteStore(file, { clock: ctx.deps.clock });
  },
});

export const storeSqlitePlugin = definePlugin({
  name: 'store-sqlite',
  version: '0.1.0',
  description: 'SQLite experiment store (the embedded default).',
  components: [sqliteStore],
});
