import type { SqlDialect } from './sql-dialect.js';
import type { Migration } from './sql-driver.js';

/**
 * The experiment store schema, shared by every SQL backend: portable types
 * (TEXT, INTEGER, DOUBLE PRECISION), and the dialect's identity column and
 * table options where databases differ.
 */
export function experimentMigrations(dialect: SqlDialect): Migration[] {
  const keyed = dialect.keyedTableOptions ? ` ${dialect.keyedTableOptions}` : '';
  return [
    {
      version: 1,
      name: 'experiment store',
      sql: `
CREATE TABLE IF NOT EXISTS experiments (
  name TEXT PRIMARY KEY,
  created_at TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS recorders (
  id TEXT PRIMARY KEY,
  experiment TEXT NOT NULL REFERENCES experiments(name),
  name TEXT NOT NULL,
  status TEXT NOT NULL CHECK (status IN ('RUNNING', 'FINISHED', 'FAILED')),
  task_hash TEXT,
  created_at TEXT NOT NULL,
  finished_at TEXT,
  params TEXT NOT NULL,
  metrics TEXT NOT NULL,
  error TEXT,
  UNIQUE (experiment, task_hash)
);
CREATE TABLE IF NOT EXISTS recorder_tags (
  recorder_id TEXT NOT NULL REFERENCES recorders(id) ON DELETE CASCADE,
  key TEXT NOT NULL,
  value TEXT NOT NULL,
  PRIMARY KEY (recorder_id, key)
);
CREATE INDEX IF NOT EXISTS recorder_tags_key_value ON recorder_tags (key, value);
CREATE TABLE IF NOT EXISTS artifacts (
  recorder_id TEXT NOT NULL REFERENCES recorders(id) ON DELETE CASCADE,
  name TEXT NOT NULL,
  content TEXT NOT NULL,
  PRIMARY KEY (recorder_id, name)
);
CREATE TABLE IF NOT EXISTS scores (
  recorder_id TEXT NOT NULL REFERENCES recorders(id) ON DELETE CASCADE,
  kind TEXT NOT NULL,
  date TEXT NOT NULL,
  instrument TEXT NOT NULL,
  score DOUBLE PRECISION NOT NULL,
  PRIMARY KEY (recorder_id, kind, date, instrument)
)${keyed};
CREATE TABLE IF NOT EXISTS managers (
  name TEXT PRIMARY KEY,
  state TEXT NOT NULL,
  begin_time TEXT,
  last_routine TEXT,
  state_version INTEGER NOT NULL,
  config_hash TEXT NOT NULL,
  updated_at TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS history (
  manager TEXT NOT NULL,
  strategy TEXT NOT NULL,
  seq INTEGER NOT NULL,
  effective_date TEXT NOT NULL,
  recorder_ids TEXT NOT NULL,
  reason TEXT NOT NULL,
  created_at TEXT NOT NULL,
  PRIMARY KEY (manager, strategy, seq)
);
CREATE TABLE IF NOT EXISTS signals (
  manager TEXT NOT NULL,
  date TEXT NOT NULL,
  instrument TEXT NOT NULL,
  score DOUBLE PRECISION NOT NULL,
  state_version INTEGER NOT NULL,
  PRIMARY KEY (manager, date, instrument)
)${keyed}`,
    },
    {
      version: 2,
      name: 'task pool',
      // Beside the recorders, so a task's result and its recorder commit in one transaction.
      // Times are database epoch seconds (leases never trust a worker's clock).
      sql: `
CREATE TABLE IF NOT EXISTS task_pool (
  id ${dialect.identityPrimaryKey},
  pool TEXT NOT NULL,
  experiment TEXT NOT NULL,
  task_hash TEXT NOT NULL,
  def TEXT NOT NULL,
  phases INTEGER NOT NULL CHECK (phases IN (1, 2)),
  status TEXT NOT NULL CHECK (status IN ('waiting', 'running', 'part_done', 'done', 'failed')),
  prior_status TEXT,
  priority DOUBLE PRECISION NOT NULL,
  res TEXT,
  attempts INTEGER NOT NULL,
  max_attempts INTEGER NOT NULL,
  last_error TEXT,
  worker TEXT,
  lease_token TEXT,
  lease_expires_at DOUBLE PRECISION,
  created_at DOUBLE PRECISION NOT NULL,
  updated_at DOUBLE PRECISION NOT NULL,
  UNIQUE (pool, experiment, task_hash)
);
CREATE INDEX IF NOT EXISTS task_pool_claim ON task_pool (pool, status, priority DESC, id)`,
    },
    {
      version: 3,
      name: 'daily IC cache',
      // The run summary's per-date IC (ExperimentStore.readDailyIc): kind 'recorder' (owner a recorder id: its
      // predictions against its own labels) or 'signals' (owner a manager). Every write of a date's rows sets
      // `changed` to a new token; figures are current while `computed` equals it. Existing dates start stale.
      sql: `
CREATE TABLE IF NOT EXISTS daily_ic (
  kind TEXT NOT NULL CHECK (kind IN ('recorder', 'signals')),
  owner TEXT NOT NULL,
  date TEXT NOT NULL,
  changed TEXT NOT NULL,
  computed TEXT,
  basis TEXT,
  row_count INTEGER,
  ic DOUBLE PRECISION,
  rank_ic DOUBLE PRECISION,
  PRIMARY KEY (kind, owner, date)
);
CREATE INDEX IF NOT EXISTS daily_ic_by_date ON daily_ic (kind, date);
INSERT INTO daily_ic (kind, owner, date, changed) SELECT DISTINCT 'recorder', recorder_id, date, 'migrated' FROM scores;
INSERT INTO daily_ic (kind, owner, date, changed) SELECT DISTINCT 'signals', manager, date, 'migrated' FROM signals`,
    },
  ];
}
