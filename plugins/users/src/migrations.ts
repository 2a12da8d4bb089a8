import type { Migration, SqlDialect } from '../../../core/index.js';

/** The users plugin's tables (owner `users`); a list that only grows. */
export function usersMigrations(d: SqlDialect): Migration[] {
  return [
    {
      version: 1,
      name: 'users, orders, fills, days, audit',
      sql: `
CREATE TABLE IF NOT EXISTS users_accounts (
  id TEXT PRIMARY KEY,
  config TEXT NOT NULL,
  first_date TEXT NOT NULL,
  created_at TEXT NOT NULL,
  state TEXT NOT NULL,
  last_date TEXT,
  pending_date TEXT,
  step TEXT NOT NULL,
  version INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS users_orders (
  user_id TEXT NOT NULL,
  date TEXT NOT NULL,
  seq INTEGER NOT NULL,
  instrument TEXT NOT NULL,
  direction TEXT NOT NULL,
  amount DOUBLE PRECISION NOT NULL,
  PRIMARY KEY (user_id, date, seq)
) ${d.keyedTableOptions};
CREATE TABLE IF NOT EXISTS users_fills (
  user_id TEXT NOT NULL,
  date TEXT NOT NULL,
  seq INTEGER NOT NULL,
  instrument TEXT NOT NULL,
  direction TEXT NOT NULL,
  amount DOUBLE PRECISION NOT NULL,
  deal_amount DOUBLE PRECISION NOT NULL,
  price DOUBLE PRECISION,
  cost DOUBLE PRECISION NOT NULL,
  value DOUBLE PRECISION NOT NULL,
  PRIMARY KEY (user_id, date, seq)
) ${d.keyedTableOptions};
CREATE TABLE IF NOT EXISTS users_days (
  user_id TEXT NOT NULL,
  date TEXT NOT NULL,
  report TEXT NOT NULL,
  positions TEXT NOT NULL,
  PRIMARY KEY (user_id, date)
) ${d.keyedTableOptions};
CREATE TABLE IF NOT EXISTS users_audit (
  id ${d.identityPrimaryKey},
  user_id TEXT NOT NULL,
  action TEXT NOT NULL,
  at TEXT NOT NULL,
  detail TEXT NOT NULL
)`,
    },
  ];
}
