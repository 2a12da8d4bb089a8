import { closestMatches } from '../../../../core/index.js';

/**
 * What an argument position accepts. `series` is any expression; the others
 * are numbers fixed when the expression is parsed (Qlib passes them as Python
 * numbers), each with its own rule (see checkParam).
 */
export type ParamKind =
  | 'series'
  /** Ref/Delta: a whole number of rows, negative looks forward. */
  | 'shift'
  /** Rolling window: a whole number >= 1, or 0 for an expanding window. */
  | 'window'
  /** Like window, at least 3 (Qlib's rule for Skew). */
  | 'window3'
  /** Like window, at least 4 (Qlib's rule for Kurt). */
  | 'window4'
  /** EMA: a span N >= 1 (alpha 2/(N+1)) or an alpha in (0, 1). */
  | 'span'
  /** Quantile level in [0, 1]. */
  | 'level';

/** How the window of an operator extends the rows it reads. */
export type ExtentKind = 'elementwise' | 'shift' | 'rolling' | 'ema';

export interface OperatorSpec {
  readonly name: string;
  readonly params: readonly { readonly name: string; readonly kind: ParamKind }[];
  readonly extent: ExtentKind;
  /** Infix spelling, when the operator has one. */
  readonly symbol?: string;
  readonly doc: string;
}

const X = { name: 'x', kind: 'series' } as const;
const Y = { name: 'y', kind: 'series' } as const;
const N = { name: 'N', kind: 'window' } as const;

function elementwise(name: string, params: OperatorSpec['params'], doc: string, symbol?: string): OperatorSpec {
  return { name, params, extent: 'elementwise', doc, ...(symbol ? { symbol } : {}) };
}

function rolling(name: string, doc: string, params: OperatorSpec['params'] = [X, N]): OperatorSpec {
  return { name, params, extent: 'rolling', doc };
}

const SPECS: readonly OperatorSpec[] = [
  elementwise('Add', [X, Y], 'x + y (float32).', '+'),
  elementwise('Sub', [X, Y], 'x - y (float32).', '-'),
  elementwise('Mul', [X, Y], 'x * y (float32).', '*'),
  elementwise('Div', [X, Y], 'x / y (float32); division by zero gives +-Infinity, 0/0 NaN.', '/'),
  elementwise('Neg', [X], '-x (unary minus; Qlib cannot parse it, qonline can).', '-'),
  elementwise('Gt', [X, Y], '1 if x > y else 0; any NaN gives 0.', '>'),
  elementwise('Ge', [X, Y], '1 if x >= y else 0; any NaN gives 0.', '>='),
  elementwise('Lt', [X, Y], '1 if x < y else 0; any NaN gives 0.', '<'),
  elementwise('Le', [X, Y], '1 if x <= y else 0; any NaN gives 0.', '<='),
  elementwise('Eq', [X, Y], '1 if x == y else 0; any NaN gives 0.', '=='),
  elementwise('Ne', [X, Y], '1 if x != y else 0; any NaN gives 1.', '!='),
  elementwise('And', [X, Y], '1 if both are true else 0 (true = nonzero; NaN counts as true, as in numpy).', '&'),
  elementwise('Or', [X, Y], '1 if either is true else 0 (true = nonzero; NaN counts as true).', '|'),
  elementwise('Not', [X], '1 if x is false (0) else 0; NaN counts as true, so Not(NaN) = 0.'),
  elementwise('Abs', [X], 'Absolute value |x|.'),
  elementwise('Sign', [X], '-1, 0 or 1; NaN stays NaN.'),
  elementwise('Log', [X], 'Natural log: Log(0) = -Infinity, negative gives NaN.'),
  elementwise('Power', [X, Y], 'x ** y as numpy computes it (Power(1, NaN) = 1, Power(NaN, 0) = 1).'),
  elementwise('Greater', [X, Y], 'The larger of x and y, row by row; NaN if either is NaN (numpy maximum).'),
  elementwise('Less', [X, Y], 'The smaller of x and y, row by row; NaN if either is NaN (numpy minimum).'),
  elementwise(
    'If',
    [{ name: 'cond', kind: 'series' }, X, Y],
    'x where cond is true (nonzero, NaN counts as true as in numpy.where), else y.',
  ),
  {
    name: 'Ref',
    params: [X, { name: 'N', kind: 'shift' }],
    extent: 'shift',
    doc: 'The value N rows earlier (N < 0: |N| rows later); NaN where that row does not exist. Ref(x, 0) = x.',
  },
  {
    name: 'Delta',
    params: [X, { name: 'N', kind: 'shift' }],
    extent: 'shift',
    doc: 'x - Ref(x, N). Delta(x, 0) = x minus the first non-NaN value of x.',
  },
  rolling('Mean', 'Mean of the non-NaN values in the window.'),
  rolling('Sum', 'Sum of the non-NaN values in the window; NaN when there are none.'),
  rolling('Std', 'Sample standard deviation (ddof 1); NaN with fewer than 2 values, 0 when all are equal.'),
  rolling('Var', 'Sample variance (ddof 1); NaN with fewer than 2 values, 0 when all are equal.'),
  rolling(
    'Skew',
    "Bias-corrected skewness (pandas): NaN with fewer than 3 values or a variance <= 1e-14, 0 when all are equal.",
    [X, { name: 'N', kind: 'window3' }],
  ),
  rolling(
    'Kurt',
    'Bias-corrected excess kurtosis (pandas): NaN with fewer than 4 values or a variance <= 1e-14, -3 when all are equal.',
    [X, { name: 'N', kind: 'window4' }],
  ),
  rolling('Max', 'Largest non-NaN value in the window.'),
  rolling('Min', 'Smallest non-NaN value in the window.'),
  rolling('IdxMax', '1-based row position (from the oldest row of the window) of the largest non-NaN value; ties to the oldest.'),
  rolling('IdxMin', '1-based row position (from the oldest row of the window) of the smallest non-NaN value; ties to the oldest.'),
  rolling('Quantile', 'Quantile q of the non-NaN values, linear interpolation between order statistics.', [
    X,
    N,
    { name: 'q', kind: 'level' },
  ]),
  rolling('Med', 'Median of the non-NaN values (mean of the two middle ones for an even count).'),
  rolling('Mad', 'Mean absolute deviation of the non-NaN values around their mean.'),
  rolling('Rank', "Percentile of the current value among the window's non-NaN values (average rank / count); NaN if the current value is NaN."),
  rolling('Count', 'Number of non-NaN values in the window (0 when there are none).'),
  rolling('Slope', 'OLS slope of the values against x = 1..N (newest at N); NaN rows skipped keeping their x; NaN with fewer than 2 values.'),
  rolling('Rsquare', 'R^2 of that OLS fit; NaN when the window standard deviation is within 2e-5 of zero.'),
  rolling('Resi', 'Residual of the current value from that OLS fit; NaN if the current value is NaN.'),
  rolling('WMA', "Qlib's weighted mean: sum of w_i * x_i (w = 1..L / sum, newest heaviest) divided by the count of non-NaN values."),
  {
    name: 'EMA',
    params: [X, { name: 'N', kind: 'span' }],
    extent: 'ema',
    doc: 'Adjusted exponential mean (pandas ewm, adjust=True): alpha = 2/(N+1) for N >= 1, alpha = N for 0 < N < 1; NaN rows carry the previous value.',
  },
  rolling('Corr', 'Pearson correlation over rows where both are non-NaN; NaN when either side\'s window standard deviation is within 2e-5 of zero.', [X, Y, N]),
  rolling('Cov', 'Sample covariance (ddof 1) over rows where both are non-NaN; NaN with fewer than 2 such rows.', [X, Y, N]),
];

const BY_NAME = new Map(SPECS.map((s) => [s.name, s]));

/** Qlib operators qonline deliberately does not implement. */
export const UNSUPPORTED_QLIB_OPERATORS: readonly string[] = [
  'Mask',
  'ChangeInstrument',
  'TResample',
  'Rolling',
  'Feature',
  'PFeature',
  'P',
  'PRef',
];

export function operatorSpec(name: string): OperatorSpec | undefined {
  return BY_NAME.get(name);
}

export function operatorSignature(spec: OperatorSpec): string {
  return `${spec.name}(${spec.params.map((p) => p.name).join(', ')})`;
}

export function suggestOperators(name: string): string[] {
  return closestMatches(
    name,
    SPECS.map((s) => s.name),
  );
}

/** Every operator, for docs and error messages. */
export const OPERATORS: readonly { name: string; arity: string; doc: string }[] = SPECS.map((s) => ({
  name: s.name,
  arity: `(${s.params.map((p) => p.name).join(', ')})`,
  doc: s.symbol ? `${s.doc} Infix: \`${s.symbol}\`.` : s.doc,
}));

/**
 * Checks a number given for a parameter; returns a message saying what was
 * expected, or undefined when the value is fine.
 */
/**
 * Largest window, shift or EMA span an expression may use: 100,000 rows is
 * four centuries of daily data, beyond any calendar; larger values are typos
 * (`Mean($close, 1e308)`) that would otherwise reach the evaluator.
 */
export const MAX_WINDOW_ROWS = 100_000;

export function checkParam(spec: OperatorSpec, kind: ParamKind, value: number): string | undefined {
  const name = spec.name;
  if (!Number.isFinite(value)) return `${name} needs a finite number here, found ${value}`;
  if (kind !== 'level' && kind !== 'series' && Math.abs(value) > MAX_WINDOW_ROWS) {
    return `${name}: ${value} rows is beyond any calendar (the limit is ${MAX_WINDOW_ROWS} rows, about 400 years of daily data)`;
  }
  switch (kind) {
    case 'series':
      return undefined;
    case 'shift':
      return Number.isInteger(value) ? undefined : `${name} shifts by whole rows; found ${value}`;
    case 'window':
    case 'window3':
    case 'window4': {
      if (value > 0 && value < 1) {
        return (
          `the window of ${name} must be a whole number of rows (or 0 for expanding), found ${value}; ` +
          `Qlib silently turns a window between 0 and 1 into an exponential mean: write EMA(x, ${value}) for that`
        );
      }
      if (!Number.isInteger(value) || value < 0) {
        return `the window of ${name} must be a whole number of rows >= 1, or 0 for expanding; found ${value}`;
      }
      const least = kind === 'window3' ? 3 : kind === 'window4' ? 4 : 1;
      if (value !== 0 && value < least) {
        return `the window of ${name} must be at least ${least} rows (or 0 for expanding); found ${value}`;
      }
      return undefined;
    }
    case 'span':
      if (value >= 1 || (value > 0 && value < 1)) return undefined;
      return (
        `EMA needs a span N >= 1 (alpha 2/(N+1)) or an alpha between 0 and 1, found ${value}` +
        (value === 0 ? " (Qlib's EMA(x, 0) reweights the whole history with a length-dependent alpha; qonline does not offer it)" : '')
      );
    case 'level':
      return value >= 0 && value <= 1 ? undefined : `the quantile level of ${name} must be between 0 and 1, found ${value}`;
  }
}
