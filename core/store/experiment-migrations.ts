import type { Migration } from './sql-driver.js';

/**
 * The experiment store schema, shared by SQLite and PostgreSQL (types chosen
 * to mean the same in both; `DOUBLE PRECISION` has REAL affinity in SQLite).
 */
export function experimentMigrations(dialect: 'sqlite' | 'postgres'): Migration[] {
  const noRowid = dialect === 'sqlite' ? ' WITHOUT ROWID' : '';
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
)${noRowid};
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
)${noRowid}`,
    },
  ];
}
