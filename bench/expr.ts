import { compileExpression, evaluateAll, parseExpression, type SeriesInput } from '../plugins/data-qlib/src/expr/index.js';

/**
 * Expression engine throughput: values per second for single operators and
 * an Alpha158-like set over 300 instruments x 2500 rows (one instrument's
 * rows at a time, as the data provider evaluates them).
 */
const INSTRUMENTS = 300;
const ROWS = 2500;

function makeInstrument(seed: number): SeriesInput {
  let s = seed >>> 0;
  const next = (): number => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s / 4294967296;
  };
  const close = new Float32Array(ROWS);
  const open = new Float32Array(ROWS);
  const high = new Float32Array(ROWS);
  const low = new Float32Array(ROWS);
  const volume = new Float32Array(ROWS);
  let p = 10 + 90 * next();
  for (let t = 0; t < ROWS; t++) {
    p *= 1 + 0.02 * (next() - 0.5);
    const o = p * (1 + 0.01 * (next() - 0.5));
    close[t] = p;
    open[t] = o;
    high[t] = Math.max(p, o) * (1 + 0.01 * next());
    low[t] = Math.min(p, o) * (1 - 0.01 * next());
    volume[t] = Math.round(1e5 + 1e6 * next());
    if (next() < 0.01) close[t] = open[t] = high[t] = low[t] = volume[t] = NaN;
  }
  const fields: Record<string, Float32Array> = { close, open, high, low, volume };
  return { length: ROWS, field: (name) => fields[name]! };
}

const SINGLE = [
  '$close / $open - 1',
  'Ref($close, 5)',
  'Mean($close, 20)',
  'Std($close, 20)',
  'Skew($close, 20)',
  'Max($high, 20)',
  'IdxMax($high, 20)',
  'Rank($close, 20)',
  'Quantile($close, 20, 0.8)',
  'Med($close, 60)',
  'Mad($close, 20)',
  'Slope($close, 20)',
  'Rsquare($close, 20)',
  'Resi($close, 20)',
  'WMA($close, 20)',
  'EMA($close, 20)',
  'Corr($close, Log($volume+1), 20)',
  'Mean($close, 0)',
];

function alpha158Like(): string[] {
  const out = ['($close-$open)/$open', '($high-$low)/$open', '(2*$close-$high-$low)/($high-$low+1e-12)'];
  for (const d of [5, 10, 20, 30, 60]) {
    out.push(
      `Ref($close, ${d})/$close`,
      `Mean($close, ${d})/$close`,
      `Std($close, ${d})/$close`,
      `Slope($close, ${d})/$close`,
      `Rsquare($close, ${d})`,
      `Resi($close, ${d})/$close`,
      `Max($high, ${d})/$close`,
      `Min($low, ${d})/$close`,
      `Quantile($close, ${d}, 0.8)/$close`,
      `Quantile($close, ${d}, 0.2)/$close`,
      `Rank($close, ${d})`,
      `($close-Min($low, ${d}))/(Max($high, ${d})-Min($low, ${d})+1e-12)`,
      `IdxMax($high, ${d})/${d}`,
      `IdxMin($low, ${d})/${d}`,
      `(IdxMax($high, ${d})-IdxMin($low, ${d}))/${d}`,
      `Corr($close, Log($volume+1), ${d})`,
      `Corr($close/Ref($close,1), Log($volume/Ref($volume, 1)+1), ${d})`,
      `Mean($close>Ref($close, 1), ${d})`,
      `Mean($close<Ref($close, 1), ${d})`,
      `Mean($close>Ref($close, 1), ${d})-Mean($close<Ref($close, 1), ${d})`,
      `Sum(Greater($close-Ref($close, 1), 0), ${d})/(Sum(Abs($close-Ref($close, 1)), ${d})+1e-12)`,
      `Sum(Greater(Ref($close, 1)-$close, 0), ${d})/(Sum(Abs($close-Ref($close, 1)), ${d})+1e-12)`,
      `Mean($volume, ${d})/($volume+1e-12)`,
      `Std($volume, ${d})/($volume+1e-12)`,
      `Std(Abs($close/Ref($close, 1)-1)*$volume, ${d})/(Mean(Abs($close/Ref($close, 1)-1)*$volume, ${d})+1e-12)`,
    );
  }
  return out;
}

function rate(values: number, ms: number): string {
  return `${((values / ms) * 1000 / 1e6).toFixed(1)} M values/s`;
}

export async function runExprBench(): Promise<void> {
  const instruments = Array.from({ length: INSTRUMENTS }, (_, i) => makeInstrument(i + 1));
  const total = INSTRUMENTS * ROWS;
  console.log(`${INSTRUMENTS} instruments x ${ROWS} rows = ${total} values per expression`);
  for (const src of SINGLE) {
    const c = compileExpression(src);
    for (const inst of instruments.slice(0, 20)) c.evaluate(inst); // warm-up
    const t0 = performance.now();
    for (const inst of instruments) c.evaluate(inst);
    const ms = performance.now() - t0;
    console.log(`${src.padEnd(36)} ${ms.toFixed(1).padStart(7)} ms  ${rate(total, ms)}`);
  }
  const set = alpha158Like().map(parseExpression);
  evaluateAll(set, instruments[0]!);
  const t0 = performance.now();
  for (const inst of instruments) evaluateAll(set, inst);
  const ms = performance.now() - t0;
  console.log(
    `Alpha158-like set (${set.length} expressions, shared sub-expressions): ${ms.toFixed(0)} ms  ${rate(total * set.length, ms)}`,
  );
}

