import { QonlineError, SqlExperimentStore, type ExperimentStore, type Migration, type RiskReport, type SqlDialect } from '../../../core/index.js';
import type { PositionsRow, ReportRow, TradeRow } from './engine.js';
import type { PortAnalysisResult, PortAnalysisRisk } from './port-analysis.js';

/** The backtest plugin's tables (owner `backtest`; SQLite and PostgreSQL alike). */
export const BACKTEST_MIGRATIONS = (_d: SqlDialect): Migration[] => [
  {
    version: 1,
    name: 'backtest_results',
    sql: `CREATE TABLE IF NOT EXISTS backtest_results (
  manager TEXT NOT NULL,
  name TEXT NOT NULL,
  created_at TEXT NOT NULL,
  start_date TEXT NOT NULL,
  end_date TEXT NOT NULL,
  config TEXT NOT NULL,
  report TEXT NOT NULL,
  positions TEXT NOT NULL,
  trades TEXT NOT NULL,
  risk TEXT NOT NULL,
  PRIMARY KEY (manager, name)
)`,
  },
];

/** A backtest stored with a manager (`qonline backtest CONFIG`, the `backtest` step). */
export interface StoredBacktest {
  manager: string;
  /** The step's name option (default `backtest`): one stored result per manager and name, replaced by each run. */
  name: string;
  createdAt: string;
  start: string;
  end: string;
  /** The port_analysis_config that ran (strategy, backtest, executor). */
  config: unknown;
  report: ReportRow[];
  positions: { date: string; cash: number; holdings: PositionsRow['holdings'] }[];
  trades: Omit<TradeRow, 'value'>[];
  risk: PortAnalysisRisk;
}

function sqlStore(store: ExperimentStore): SqlExperimentStore | null {
  return store instanceof SqlExperimentStore ? store : null;
}

const ensured = new WeakSet<SqlExperimentStore>();

/** Creates the plugin's tables in the store's database (once per store object; the plugin also registers them for every store opened after the kernel starts). */
export async function ensureBacktestTables(store: ExperimentStore): Promise<boolean> {
  const s = sqlStore(store);
  if (!s) return false;
  if (!ensured.has(s)) {
    await s.registerMigrations('backtest', BACKTEST_MIGRATIONS);
    ensured.add(s);
  }
  return true;
}

// JSON has no NaN or infinity: stored as null, read back as NaN.
const toJson = (v: unknown): string => JSON.stringify(v, (_k, x: unknown) => (typeof x === 'number' && !Number.isFinite(x) ? null : x));
const riskFromJson = (r: Record<string, Record<string, number | null>>): PortAnalysisRisk => {
  const one = (x: Record<string, number | null> | undefined): RiskReport => Object.fromEntries(Object.entries(x ?? {}).map(([k, v]) => [k, v ?? NaN])) as unknown as RiskReport;
  return { excess_return_without_cost: one(r['excess_return_without_cost']), excess_return_with_cost: one(r['excess_return_with_cost']) };
};

/** Stores (replaces) the manager's backtest `name`. */
export async function saveBacktest(store: ExperimentStore, manager: string, name: string, createdAt: string, config: unknown, result: PortAnalysisResult): Promise<StoredBacktest> {
  if (!(await ensureBacktestTables(store))) {
    throw new QonlineError('QONLINE_USAGE', `backtest results are stored in a SQL store (SQLiteStore, PostgresStore); this store is ${store.backend}`);
  }
  const stored: StoredBacktest = {
    manager,
    name,
    createdAt,
    start: result.start,
    end: result.end,
    config,
    report: result.report,
    positions: result.positions.map((p) => ({ date: p.date, cash: p.cash, holdings: p.holdings })),
    trades: result.trades.map(({ date, instrument, direction, amount, price, cost }) => ({ date, instrument, direction, amount, price, cost })),
    risk: result.risk,
  };
  await store.transaction(async (tx) => {
    const ex = (tx as SqlExperimentStore).executor;
    await ex.run(`DELETE FROM backtest_results WHERE manager = ? AND name = ?`, [manager, name]);
    await ex.run(
      `INSERT INTO backtest_results (manager, name, created_at, start_date, end_date, config, report, positions, trades, risk) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
      [manager, name, createdAt, stored.start, stored.end, toJson(config), toJson(stored.report), toJson(stored.positions), toJson(stored.trades), toJson(stored.risk)],
    );
  });
  return stored;
}

interface Row {
  manager: string;
  name: string;
  created_at: string;
  start_date: string;
  end_date: string;
  config: string;
  report: string;
  positions: string;
  trades: string;
  risk: string;
}

/**
 * The backtests stored with `manager`, by name (the data the report shows;
 * drawing is the report's business). A store that is not SQL has none.
 */
export async function backtestResults(store: ExperimentStore, manager: string): Promise<StoredBacktest[]> {
  const s = sqlStore(store);
  if (!s) return [];
  await ensureBacktestTables(s);
  const rows = await s.executor.all<Row>(`SELECT * FROM backtest_results WHERE manager = ? ORDER BY name`, [manager]);
  return rows.map((r) => ({
    manager: r.manager,
    name: r.name,
    createdAt: r.created_at,
    start: r.start_date,
    end: r.end_date,
    config: JSON.parse(r.config) as unknown,
    report: (JSON.parse(r.report) as ReportRow[]).map((x) => ({ ...x, bench: x.bench })),
    positions: JSON.parse(r.positions) as StoredBacktest['positions'],
    trades: JSON.parse(r.trades) as StoredBacktest['trades'],
    risk: riskFromJson(JSON.parse(r.risk) as Record<string, Record<string, number | null>>),
  }));
}
