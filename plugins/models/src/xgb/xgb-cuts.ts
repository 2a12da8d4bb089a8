/**
 * XGBoost-style histogram cuts (its `hist` method). Per feature, the cut
 * values are increasing float32 numbers; bin b holds the values in
 * [cut[b-1], cut[b]) (bin 0 everything below cut[0]), i.e. a value's bin is
 * the first cut above it, and a split "x < cut[b]" sends bins 0..b left.
 *
 * XGBoost summarises each column into a weighted quantile summary (entries
 * value, rmin, rmax, wmin, ranks in float32), prunes it to max_bin * 8 and
 * then max_bin + 1 entries, takes entries 1..max_bin-1 as cuts and appends
 * max + |max| + 1e-5. With at most max_bin distinct values the cuts are the
 * distinct values from the second on, exactly as XGBoost. With more, this
 * prunes the exact summary of the column the same way; XGBoost prunes a
 * streaming sketch, which is the same summary when the column has at most
 * about 2 * max_bin * 8 values and an approximation of it beyond, so cuts
 * may then differ slightly.
 */
export interface XgbCuts {
  cols: number;
  /** Feature f's cuts are values[ptr[f] .. ptr[f+1]); a feature has ptr[f+1] - ptr[f] bins. */
  ptr: Int32Array;
  values: Float32Array;
  /** Below every training value of the feature (the split value of "only missing values go left"). */
  minValues: Float32Array;
}

export { MISSING_BIN } from './xgb-hist-kernel.js';
import { MISSING_BIN } from './xgb-hist-kernel.js';
const SKETCH_FACTOR = 8;
const f32 = Math.fround;

interface Summary {
  value: Float32Array;
  rmin: Float32Array;
  rmax: Float32Array;
  wmin: Float32Array;
  size: number;
}

export function computeCuts(features: Float32Array, rows: number, cols: number, maxBin: number, weights?: Float32Array): XgbCuts {
  const perFeature: Float32Array[] = [];
  const minValues = new Float32Array(cols);
  const eps = 1 / (maxBin * SKETCH_FACTOR);
  for (let f = 0; f < cols; f++) {
    let m = 0;
    for (let r = 0; r < rows; r++) {
      const v = features[r * cols + f]!;
      if (v === v && (!weights || weights[r] !== 0)) m++;
    }
    if (m === 0) {
      minValues[f] = f32(1e-5);
      perFeature.push(Float32Array.of(f32(minValues[f]! + f32(Math.abs(minValues[f]!) + f32(1e-5)))));
      continue;
    }
    // The column's values in row order through XGBoost's streaming sketch.
    const sketch = new QuantileSketch(m, eps, !weights);
    for (let r = 0; r < rows; r++) {
      const v = features[r * cols + f]!;
      if (v === v) sketch.push(v, weights ? weights[r]! : 1);
    }
    const intermediate = Math.min(m, maxBin * SKETCH_FACTOR);
    const reduced = prune(sketch.summary(), intermediate);
    const maxNumBins = Math.min(intermediate, maxBin);
    const final = prune(reduced, maxNumBins + 1);
    const mval = final.value[0]!;
    minValues[f] = f32(f32(mval - Math.abs(mval)) - f32(1e-5));
    const cuts: number[] = [];
    const required = Math.min(final.size, maxNumBins);
    for (let i = 1; i < required; i++) {
      const c = final.value[i]!;
      if (i === 1 || c > cuts[cuts.length - 1]!) cuts.push(c);
    }
    const top = final.value[final.size - 1]!;
    cuts.push(f32(top + f32(Math.abs(top) + f32(1e-5))));
    perFeature.push(Float32Array.from(cuts));
  }
  const ptr = new Int32Array(cols + 1);
  for (let f = 0; f < cols; f++) ptr[f + 1] = ptr[f]! + perFeature[f]!.length;
  const values = new Float32Array(ptr[cols]!);
  for (let f = 0; f < cols; f++) values.set(perFeature[f]!, ptr[f]!);
  return { cols, ptr, values, minValues };
}

function emptySummary(capacity: number): Summary {
  return { value: new Float32Array(capacity), rmin: new Float32Array(capacity), rmax: new Float32Array(capacity), wmin: new Float32Array(capacity), size: 0 };
}

function pushEntry(s: Summary, rmin: number, rmax: number, wmin: number, value: number): void {
  const k = s.size++;
  s.rmin[k] = rmin;
  s.rmax[k] = rmax;
  s.wmin[k] = wmin;
  s.value[k] = value;
}

/**
 * XGBoost's WQuantileSketch (float32 values and ranks): values are queued
 * (a repeat of the previous value adds to its weight); a full queue becomes
 * an exact summary that is pruned to limit_size and merged up a hierarchy
 * of levels; the final summary merges the queue and every level.
 */
class QuantileSketch {
  private readonly limitSize: number;
  private queueValue: Float32Array;
  private queueWeight: Float32Array;
  private tail = 0;
  private readonly levels: Summary[] = [];
  /**
   * Unit weights: every value pushed since the last flush, unmerged. Its
   * numeric sort and run lengths give the same summary as sorting the queue
   * (weights are then whole counts, exact in float32 in any order), faster.
   */
  private readonly raw: Float32Array | null;
  private rawLength = 0;

  constructor(maxn: number, eps: number, unitWeights: boolean) {
    let nlevel = 1;
    let limit = 0;
    for (;;) {
      limit = Math.min(maxn, Math.ceil(nlevel / eps) + 1);
      if (2 ** nlevel * limit >= maxn) break;
      nlevel++;
    }
    this.limitSize = limit;
    this.raw = unitWeights ? new Float32Array(maxn) : null;
    // The queue starts with room for one value and grows to 2 * limit_size at the second distinct value.
    this.queueValue = new Float32Array(1);
    this.queueWeight = new Float32Array(1);
  }

  push(x: number, w: number): void {
    if (w === 0) return;
    if (this.tail === this.queueValue.length && this.queueValue[this.tail - 1] !== x) {
      if (this.queueValue.length === 1) {
        const v = this.queueValue[0]!;
        const wt = this.queueWeight[0]!;
        this.queueValue = new Float32Array(this.limitSize * 2);
        this.queueWeight = new Float32Array(this.limitSize * 2);
        this.queueValue[0] = v;
        this.queueWeight[0] = wt;
      } else {
        const temp = this.queueSummary();
        this.tail = 0;
        this.rawLength = 0;
        this.pushUp(temp);
      }
    }
    if (this.raw) this.raw[this.rawLength++] = x;
    if (this.tail === 0 || this.queueValue[this.tail - 1] !== x) {
      this.queueValue[this.tail] = x;
      this.queueWeight[this.tail++] = w;
    } else this.queueWeight[this.tail - 1] = f32(this.queueWeight[this.tail - 1]! + w);
  }

  /** The queue sorted, equal values merged, as an exact summary. */
  private queueSummary(): Summary {
    if (this.raw) {
      const sorted = this.raw.slice(0, this.rawLength).sort();
      const out = emptySummary(this.tail);
      let wsum = 0;
      for (let i = 0, m = sorted.length; i < m; ) {
        const v = sorted[i]!;
        let j = i + 1;
        while (j < m && sorted[j] === v) j++;
        const w = j - i;
        pushEntry(out, wsum, f32(wsum + w), w, v);
        wsum = f32(wsum + w);
        i = j;
      }
      return out;
    }
    const n = this.tail;
    const idx = Array.from({ length: n }, (_, i) => i).sort((a, b) => this.queueValue[a]! - this.queueValue[b]! || a - b);
    const out = emptySummary(n);
    let wsum = 0;
    for (let i = 0; i < n; ) {
      const v = this.queueValue[idx[i]!]!;
      let w = this.queueWeight[idx[i]!]!;
      let j = i + 1;
      while (j < n && this.queueValue[idx[j]!] === v) w = f32(w + this.queueWeight[idx[j++]!]!);
      pushEntry(out, wsum, f32(wsum + w), w, v);
      wsum = f32(wsum + w);
      i = j;
    }
    return out;
  }

  /** PushTemp: carry the pruned summary up the levels, merging while the merge stays within limit_size. */
  private pushUp(temp: Summary): void {
    for (let l = 1; ; l++) {
      while (this.levels.length < l + 1) this.levels.push(emptySummary(0));
      if (this.levels[l]!.size === 0) {
        this.levels[l] = prune(temp, this.limitSize);
        return;
      }
      const merged = combine(prune(temp, this.limitSize), this.levels[l]!);
      if (merged.size > this.limitSize) {
        this.levels[l] = emptySummary(0);
        temp = merged;
      } else {
        this.levels[l] = merged;
        return;
      }
    }
  }

  summary(): Summary {
    let out = this.queueSummary();
    if (this.levels.length === 0) return out.size > this.limitSize ? prune(out, this.limitSize) : out;
    let acc = prune(out, this.limitSize);
    for (let l = 1; l < this.levels.length; l++) {
      const level = this.levels[l]!;
      if (level.size === 0) continue;
      if (acc.size === 0) acc = level;
      else {
        out = combine(acc, level);
        acc = prune(out, this.limitSize);
      }
    }
    return acc;
  }
}

/** WQSummary::SetCombine: the merge of two summaries (ranks added), then FixError. */
function combine(sa: Summary, sb: Summary): Summary {
  if (sa.size === 0) return sb;
  if (sb.size === 0) return sa;
  const out = emptySummary(sa.size + sb.size);
  let a = 0;
  let b = 0;
  let aprevRmin = 0;
  let bprevRmin = 0;
  while (a < sa.size && b < sb.size) {
    const av = sa.value[a]!;
    const bv = sb.value[b]!;
    if (av === bv) {
      pushEntry(out, f32(sa.rmin[a]! + sb.rmin[b]!), f32(sa.rmax[a]! + sb.rmax[b]!), f32(sa.wmin[a]! + sb.wmin[b]!), av);
      aprevRmin = f32(sa.rmin[a]! + sa.wmin[a]!);
      bprevRmin = f32(sb.rmin[b]! + sb.wmin[b]!);
      a++;
      b++;
    } else if (av < bv) {
      pushEntry(out, f32(sa.rmin[a]! + bprevRmin), f32(sa.rmax[a]! + f32(sb.rmax[b]! - sb.wmin[b]!)), sa.wmin[a]!, av);
      aprevRmin = f32(sa.rmin[a]! + sa.wmin[a]!);
      a++;
    } else {
      pushEntry(out, f32(sb.rmin[b]! + aprevRmin), f32(sb.rmax[b]! + f32(sa.rmax[a]! - sa.wmin[a]!)), sb.wmin[b]!, bv);
      bprevRmin = f32(sb.rmin[b]! + sb.wmin[b]!);
      b++;
    }
  }
  const brmax = sb.rmax[sb.size - 1]!;
  for (; a < sa.size; a++) pushEntry(out, f32(sa.rmin[a]! + bprevRmin), f32(sa.rmax[a]! + brmax), sa.wmin[a]!, sa.value[a]!);
  const armax = sa.rmax[sa.size - 1]!;
  for (; b < sb.size; b++) pushEntry(out, f32(sb.rmin[b]! + aprevRmin), f32(sb.rmax[b]! + armax), sb.wmin[b]!, sb.value[b]!);
  // FixError: ranks made monotone and rmax >= rmin + wmin.
  let prevRmin = 0;
  let prevRmax = 0;
  for (let i = 0; i < out.size; i++) {
    if (out.rmin[i]! < prevRmin) out.rmin[i] = prevRmin;
    else prevRmin = out.rmin[i]!;
    if (out.rmax[i]! < prevRmax) out.rmax[i] = prevRmax;
    const rminNext = f32(out.rmin[i]! + out.wmin[i]!);
    if (out.rmax[i]! < rminNext) out.rmax[i] = rminNext;
    prevRmax = out.rmax[i]!;
  }
  return out;
}

/** XGBoost's WQSummary::SetPrune: at most maxSize entries spread evenly over the rank range, ends kept. */
function prune(src: Summary, maxSize: number): Summary {
  if (src.size <= maxSize) return src;
  const out = emptySummary(maxSize);
  const copy = (i: number): void => pushEntry(out, src.rmin[i]!, src.rmax[i]!, src.wmin[i]!, src.value[i]!);
  const begin = src.rmax[0]!;
  const range = f32(src.rmin[src.size - 1]! - begin);
  const n = maxSize - 1;
  copy(0);
  let i = 1;
  let last = 0;
  for (let k = 1; k < n; k++) {
    const dx2 = f32(2 * f32(f32(f32(k * range) / n) + begin));
    while (i < src.size - 1 && dx2 >= f32(src.rmax[i + 1]! + src.rmin[i + 1]!)) i++;
    if (i === src.size - 1) break;
    const rminNext = f32(src.rmin[i]! + src.wmin[i]!);
    const rmaxPrev = f32(src.rmax[i + 1]! - src.wmin[i + 1]!);
    if (dx2 < f32(rminNext + rmaxPrev)) {
      if (i !== last) {
        copy(i);
        last = i;
      }
    } else if (i + 1 !== last) {
      copy(i + 1);
      last = i + 1;
    }
  }
  if (last !== src.size - 1) copy(src.size - 1);
  return out;
}

/**
 * Row-major bins (`bins[r * cols + f]`, MISSING_BIN for NaN): the first cut
 * above the value, by binary search.
 */
export function binRowsXgb(features: Float32Array, rows: number, cuts: XgbCuts, bins: Uint16Array<ArrayBufferLike> = new Uint16Array(rows * cuts.cols)): Uint16Array<ArrayBufferLike> {
  const { cols, ptr, values } = cuts;
  for (let f = 0; f < cols; f++) {
    const lo0 = ptr[f]!;
    const hi0 = ptr[f + 1]!;
    for (let r = 0, at = f; r < rows; r++, at += cols) {
      const x = features[at]!;
      if (x !== x) {
        bins[at] = MISSING_BIN;
        continue;
      }
      let lo = lo0;
      let hi = hi0;
      while (lo < hi) {
        const mid = (lo + hi) >> 1;
        if (values[mid]! > x) hi = mid;
        else lo = mid + 1;
      }
      // Values above the last cut (only outside the training data) share the last bin.
      bins[at] = Math.min(lo, hi0 - 1) - lo0;
    }
  }
  return bins;
}
