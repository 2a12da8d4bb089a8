import { randomBytes } from 'node:crypto';
import { it } from 'vitest';
import { migrateSqlStore, SqlExperimentStore } from '../../core/index.js';
import { PgDriver } from '../../plugins/store-postgres/index.js';

/**
 * PostgreSQL for tests: QONLINE_TEST_PG_URL names a database. Unset: the
 * PostgreSQL suites skip with a message, unless QONLINE_REQUIRE_PG=1 (CI),
 * where that is a failure. Set but unreachable: the tests fail (never skip).
 */
export function pgTestUrl(): { url?: string; skip?: string } {
  const url = process.env['QONLINE_TEST_PG_URL'];
  if (url) return { url };
  if (process.env['QONLINE_REQUIRE_PG'] === '1') return {};
  return { skip: 'QONLINE_TEST_PG_URL is not set: PostgreSQL tests skipped (set it to postgres://user@host:5432/db to run them)' };
}

/** Registers a failing test when PostgreSQL is required but not configured; logs the skip otherwise. */
export function requirePgOrExplainSkip(label: string): void {
  const { url, skip } = pgTestUrl();
  if (skip) {
    console.warn(`[${label}] ${skip}`);
    return;
  }
  if (!url) {
    it(`${label}: PostgreSQL is configured`, () => {
      throw new Error('QONLINE_REQUIRE_PG=1 but QONLINE_TEST_PG_URL is not set');
    });
  }
}

/** A schema name nobody else uses: each test gets an empty database of its own. */
export function freshSchema(prefix = 'qt'): string {
  return `${prefix}_${Date.now().toString(36)}_${randomBytes(4).toString('hex')}`;
}

export async function dropSchema(url: string, schema: string): Promise<void> {
  const d = await PgDriver.open({ url, poolSize: 1 });
  try {
    await d.run(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
  } finally {
    await d.close();
  }
}

/** A migrated store in `schema`; closing it drops the schema when `dropOnClose`. */
export async function openPgTestStore(url: string, schema: string, dropOnClose = false): Promise<SqlExperimentStore> {
  const driver = await PgDriver.open({ url, schema, poolSize: 4 });
  await migrateSqlStore(driver);
  if (!dropOnClose) return new SqlExperimentStore(driver);
  return new (class extends SqlExperimentStore {
    override async close(): Promise<void> {
      await super.close();
      await dropSchema(url, schema);
    }
  })(driver);
}
