import type { Ensemble, ScoreRows } from '../../../core/index.js';

/**
 * Qlib's AverageEnsemble: per date, z-score each model's scores across
 * instruments (ddof 1, NaN ignored), then average the models per
 * (date, instrument), ignoring models without a score there.
 * Inputs must be sorted by (date, instrument).
 */
export class AverageEnsemble implements Ensemble {
  combine(inputs: ScoreRows[]): ScoreRows {
    const sum = new Map<string, { d: string; i: string; s: number; n: number }>();
    for (const input of inputs) {
      const z = zscoreByDate(input);
      for (let k = 0; k < z.length; k++) {
        const v = z[k]!;
        if (!Number.isFinite(v)) continue;
        const key = input.dates[k]! + '\u0000' + input.instruments[k]!;
        const cur = sum.get(key);
        if (cur) {
          cur.s += v;
          cur.n += 1;
        } else sum.set(key, { d: input.dates[k]!, i: input.instruments[k]!, s: v, n: 1 });
      }
    }
    const entries = [...sum.values()].sort((a, b) => (a.d < b.d ? -1 : a.d > b.d ? 1 : a.i < b.i ? -1 : a.i > b.i ? 1 : 0));
    return {
      dates: entries.map((e) => e.d),
      instruments: entries.map((e) => e.i),
      scores: Float64Array.from(entries, (e) => e.s / e.n),
    };
  }
}

/** Cross-sectional z-score per date block (rows are date-major). */
export function zscoreByDate(rows: ScoreRows): Float64Array {
  const n = rows.scores.length;
  const out = new Float64Array(n).fill(NaN);
  let i = 0;
  while (i < n) {
    let j = i;
    while (j < n && rows.dates[j] === rows.dates[i]) j++;
    let cnt = 0;
    let mean = 0;
    for (let k = i; k < j; k++) {
      const v = rows.scores[k]!;
      if (Number.isFinite(v)) {
        cnt++;
        mean += v;
      }
    }
    if (cnt >= 2) {
      mean /= cnt;
      let ss = 0;
      for (let k = i; k < j; k++) {
        const v = rows.scores[k]!;
        if (Number.isFinite(v)) ss += (v - mean) * (v - mean);
      }
      const sd = Math.sqrt(ss / (cnt - 1));
      if (sd > 0) for (let k = i; k < j; k++) out[k] = (rows.scores[k]! - mean) / sd;
    }
    i = j;
  }
  return out;
}
