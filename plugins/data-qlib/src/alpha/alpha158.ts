import type { FeatureSet, HandlerDefaults } from './handler-defaults.js';
import { deepFreeze, DEFAULT_LABEL, DEFAULT_LEARN_PROCESSORS } from './handler-defaults.js';

/** Qlib's `Alpha158DL.get_feature_config` config: each present key adds a feature family. */
export interface Alpha158Config {
  /** The nine hard-coded candlestick features (KMID ... KSFT2). */
  kbar?: Record<string, never>;
  /** Prices divided by today's close; windows default [0..4], features default OPEN HIGH LOW CLOSE VWAP. */
  price?: { windows?: number[]; feature?: string[] };
  /** Volume divided by today's volume; windows default [0..4]. */
  volume?: { windows?: number[] };
  /**
   * Rolling-operator families over `windows` (default [5, 10, 20, 30, 60]).
   * `include` / `exclude` take family keys: ROC MA STD BETA RSQR RESI MAX
   * LOW (named MIN*) QTLU QTLD RANK RSV IMAX IMIN IMXD CORR CORD CNTP CNTN
   * CNTD SUMP SUMN SUMD VMA VSTD WVMA VSUMP VSUMN VSUMD.
   */
  rolling?: { windows?: number[]; include?: string[] | null; exclude?: string[] };
}

/** The config Qlib's Alpha158 handler uses: kbar, price (window 0 of OPEN HIGH LOW VWAP), rolling with defaults. */
export const ALPHA158_CONFIG: Alpha158Config = deepFreeze({
  kbar: {},
  price: { windows: [0], feature: ['OPEN', 'HIGH', 'LOW', 'VWAP'] },
  rolling: {},
});

const KBAR: [string, string][] = [
  ['KMID', '($close-$open)/$open'],
  ['KLEN', '($high-$low)/$open'],
  ['KMID2', '($close-$open)/($high-$low+1e-12)'],
  ['KUP', '($high-Greater($open, $close))/$open'],
  ['KUP2', '($high-Greater($open, $close))/($high-$low+1e-12)'],
  ['KLOW', '(Less($open, $close)-$low)/$open'],
  ['KLOW2', '(Less($open, $close)-$low)/($high-$low+1e-12)'],
  ['KSFT', '(2*$close-$high-$low)/$open'],
  ['KSFT2', '(2*$close-$high-$low)/($high-$low+1e-12)'],
];

/** Rolling families in Qlib's order: key, name prefix, expression for window d. */
const ROLLING: [key: string, prefix: string, expr: (d: number) => string][] = [
  ['ROC', 'ROC', (d) => `Ref($close, ${d})/$close`],
  ['MA', 'MA', (d) => `Mean($close, ${d})/$close`],
  ['STD', 'STD', (d) => `Std($close, ${d})/$close`],
  ['BETA', 'BETA', (d) => `Slope($close, ${d})/$close`],
  ['RSQR', 'RSQR', (d) => `Rsquare($close, ${d})`],
  ['RESI', 'RESI', (d) => `Resi($close, ${d})/$close`],
  ['MAX', 'MAX', (d) => `Max($high, ${d})/$close`],
  ['LOW', 'MIN', (d) => `Min($low, ${d})/$close`],
  ['QTLU', 'QTLU', (d) => `Quantile($close, ${d}, 0.8)/$close`],
  ['QTLD', 'QTLD', (d) => `Quantile($close, ${d}, 0.2)/$close`],
  ['RANK', 'RANK', (d) => `Rank($close, ${d})`],
  ['RSV', 'RSV', (d) => `($close-Min($low, ${d}))/(Max($high, ${d})-Min($low, ${d})+1e-12)`],
  ['IMAX', 'IMAX', (d) => `IdxMax($high, ${d})/${d}`],
  ['IMIN', 'IMIN', (d) => `IdxMin($low, ${d})/${d}`],
  ['IMXD', 'IMXD', (d) => `(IdxMax($high, ${d})-IdxMin($low, ${d}))/${d}`],
  ['CORR', 'CORR', (d) => `Corr($close, Log($volume+1), ${d})`],
  ['CORD', 'CORD', (d) => `Corr($close/Ref($close,1), Log($volume/Ref($volume, 1)+1), ${d})`],
  ['CNTP', 'CNTP', (d) => `Mean($close>Ref($close, 1), ${d})`],
  ['CNTN', 'CNTN', (d) => `Mean($close<Ref($close, 1), ${d})`],
  ['CNTD', 'CNTD', (d) => `Mean($close>Ref($close, 1), ${d})-Mean($close<Ref($close, 1), ${d})`],
  ['SUMP', 'SUMP', (d) => `Sum(Greater($close-Ref($close, 1), 0), ${d})/(Sum(Abs($close-Ref($close, 1)), ${d})+1e-12)`],
  ['SUMN', 'SUMN', (d) => `Sum(Greater(Ref($close, 1)-$close, 0), ${d})/(Sum(Abs($close-Ref($close, 1)), ${d})+1e-12)`],
  [
    'SUMD',
    'SUMD',
    (d) => `(Sum(Greater($close-Ref($close, 1), 0), ${d})-Sum(Greater(Ref($close, 1)-$close, 0), ${d}))/(Sum(Abs($close-Ref($close, 1)), ${d})+1e-12)`,
  ],
  ['VMA', 'VMA', (d) => `Mean($volume, ${d})/($volume+1e-12)`],
  ['VSTD', 'VSTD', (d) => `Std($volume, ${d})/($volume+1e-12)`],
  ['WVMA', 'WVMA', (d) => `Std(Abs($close/Ref($close, 1)-1)*$volume, ${d})/(Mean(Abs($close/Ref($close, 1)-1)*$volume, ${d})+1e-12)`],
  ['VSUMP', 'VSUMP', (d) => `Sum(Greater($volume-Ref($volume, 1), 0), ${d})/(Sum(Abs($volume-Ref($volume, 1)), ${d})+1e-12)`],
  ['VSUMN', 'VSUMN', (d) => `Sum(Greater(Ref($volume, 1)-$volume, 0), ${d})/(Sum(Abs($volume-Ref($volume, 1)), ${d})+1e-12)`],
  [
    'VSUMD',
    'VSUMD',
    (d) =>
      `(Sum(Greater($volume-Ref($volume, 1), 0), ${d})-Sum(Greater(Ref($volume, 1)-$volume, 0), ${d}))/(Sum(Abs($volume-Ref($volume, 1)), ${d})+1e-12)`,
  ],
];

/** Family keys accepted by `rolling.include` / `rolling.exclude`. */
export const ALPHA158_ROLLING_KEYS: readonly string[] = ROLLING.map(([key]) => key);

/** Window numbers print as Qlib's `%d` does (integers). */
const int = (d: number) => Math.trunc(d);
const range5 = [0, 1, 2, 3, 4];

/**
 * The Alpha158 feature expressions and names, in Qlib's order, built from a
 * config as `Alpha158DL.get_feature_config` does. Without a config: Qlib's
 * Alpha158 handler set (158 features).
 */
export function alpha158Fields(config: Alpha158Config = ALPHA158_CONFIG): FeatureSet {
  const fields: string[] = [];
  const names: string[] = [];
  if (config.kbar) {
    for (const [name, expr] of KBAR) {
      names.push(name);
      fields.push(expr);
    }
  }
  if (config.price) {
    const windows = (config.price.windows ?? range5).map(int);
    const features = config.price.feature ?? ['OPEN', 'HIGH', 'LOW', 'CLOSE', 'VWAP'];
    for (const feature of features) {
      const field = feature.toLowerCase();
      for (const d of windows) {
        fields.push(d !== 0 ? `Ref($${field}, ${d})/$close` : `$${field}/$close`);
        names.push(`${field.toUpperCase()}${d}`);
      }
    }
  }
  if (config.volume) {
    for (const d of (config.volume.windows ?? range5).map(int)) {
      fields.push(d !== 0 ? `Ref($volume, ${d})/($volume+1e-12)` : '$volume/($volume+1e-12)');
      names.push(`VOLUME${d}`);
    }
  }
  if (config.rolling) {
    const windows = (config.rolling.windows ?? [5, 10, 20, 30, 60]).map(int);
    const include = config.rolling.include ?? null;
    const exclude = config.rolling.exclude ?? [];
    for (const [key, prefix, expr] of ROLLING) {
      if (exclude.includes(key) || (include !== null && !include.includes(key))) continue;
      for (const d of windows) {
        fields.push(expr(d));
        names.push(`${prefix}${d}`);
      }
    }
  }
  return { fields, names };
}

/** Qlib's Alpha158 handler defaults: label LABEL0, no infer processors, DropnaLabel then CSZScoreNorm on the label. */
export const ALPHA158_DEFAULTS: HandlerDefaults = deepFreeze({
  instruments: 'csi500',
  freq: 'day',
  processType: 'append',
  label: DEFAULT_LABEL,
  inferProcessors: [],
  learnProcessors: DEFAULT_LEARN_PROCESSORS,
});
