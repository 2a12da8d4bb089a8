import { defineComponent, definePlugin, QonlineError, S, SqlExperimentStore, TOKENS, type SqlStoreOptions } from '../../core/index.js';
import { PgDriver, type PgDriverOptions } from './src/pg-driver.js';

export { PgDriver, type PgDriverOptions } from './src/pg-driver.js';
export { toPgPlaceholders } from './src/pg-placeholders.js';
export { postgresDialect } from './src/pg-dialect.js';

/** Opens (migrating) a PostgreSQL experiment store; its database also holds the task pools. */
export async function openPostgresStore(options: PgDriverOptions, storeOptions: SqlStoreOptions = {}): Promise<SqlExperimentStore> {
  return SqlExperimentStore.open(await PgDriver.open(options), storeOptions);
}

const postgresStore = defineComponent({
  kind: 'store',
  name: 'PostgresStore',
  aliases: ['postgres', 'PostgreSQLStore'],
  description:
    'Experiments, recorders, artifacts, predictions, signals, history and task pools in PostgreSQL, shared by managers and workers on many machines.',
  schema: S.object({
    url: S.optional(
      S.string({ description: 'Connection url `postgres://user:password@host:5432/database`. Default: $QONLINE_PG_URL (keep passwords out of YAML: `url: ${PG_URL}`).' }),
    ),
    schema: S.optional(S.string({ pattern: '^[A-Za-z_][A-Za-z0-9_]*$', description: 'Schema holding the tables, created when missing. Default: the server search_path (public).' })),
    pool_size: S.optional(S.integer({ minimum: 1, maximum: 1000, description: 'Pooled connections per process (LISTEN uses one more). Default 10.' })),
    connect_timeout_ms: S.optional(S.integer({ minimum: 1, description: 'Give up connecting after this long. Default 10000.' })),
  }),
  deps: { clock: TOKENS.clock },
  dispose: (store) => store.close(),
  // Closing the store's connections needs nothing older (the data provider) and they nothing of it.
  disposeAlongside: true,
  async openReadOnly(options) {
    const url = options.url ?? process.env['QONLINE_PG_URL'];
    if (!url) throw new QonlineError('QONLINE_CONFIG_INVALID', 'PostgresStore needs a connection url: set kwargs.url or the environment variable QONLINE_PG_URL');
    // A missing schema: its tables are missing too, and openReadOnly says there is no store.
    const driver = await PgDriver.open({ url, schema: options.schema, poolSize: 2, connectTimeoutMs: options.connect_timeout_ms, createSchema: false });
    return SqlExperimentStore.openReadOnly(driver);
  },
  async create(options, ctx) {
    const url = options.url ?? process.env['QONLINE_PG_URL'];
    if (!url) {
      throw new QonlineError('QONLINE_CONFIG_INVALID', 'PostgresStore needs a connection url: set kwargs.url or the environment variable QONLINE_PG_URL', {
        hint: 'e.g. QONLINE_PG_URL=postgres://qonline:secret@db.internal:5432/qonline',
      });
    }
    return openPostgresStore({ url, schema: options.schema, poolSize: options.pool_size, connectTimeoutMs: options.connect_timeout_ms }, { clock: ctx.deps.clock });
  },
});

export const storePostgresPlugin = definePlugin({
  name: 'store-postgres',
  version: '0.1.0',
  description: 'PostgreSQL experiment store and task pools (many machines; LISTEN/NOTIFY wake-ups, SKIP LOCKED claiming).',
  components: [postgresStore],
});
