import type { FeatureFrame, FeatureRowBlocks } from '../../../../core/index.js';
import { frameBuffers } from './frame-buffers.js';

/** One instrument's evaluated columns and the calendar rows it contributes. */
export interface InstrumentColumns {
  code: string;
  /** Calendar index of `cols[c][0]`. */
  start: number;
  cols: Float32Array[];
  /** Calendar range [from, to] of rows to include. */
  from: number;
  to: number;
  /** Per row of [from, to]: 1 to include (market membership); null includes all. */
  mask: Uint8Array | null;
}

/** Calendar days per assembly block: the output rows of a block stay in L1 while every instrument writes its part. */
const BLOCK_DAYS = 16;

/**
 * Date-major frame (rows by date, then instrument in the given order) over
 * calendar rows [a, b]. Output rows are numbered once; each column is then
 * filled a block of days at a time, instrument by instrument (sequential
 * reads of each series, writes within a few cache lines). Reading all
 * instruments in step for each output row instead is several times slower:
 * the series share cache sets.
 */
export function assembleFrame(dates: readonly string[], a: number, b: number, columns: string[], parts: readonly InstrumentColumns[]): FeatureFrame {
  const { rows, rowDate, rowInst, target } = numberRows(a, b, parts);
  const data = columns.map((_, c) => {
    const out = new Float32Array(rows);
    for (let t0 = a; t0 <= b; t0 += BLOCK_DAYS) {
      const t1 = Math.min(b, t0 + BLOCK_DAYS - 1);
      for (let k = 0; k < parts.length; k++) {
        const p = parts[k]!;
        scatterDays(out, p.cols[c]!, target[k]!, Math.max(t0, p.from) - p.from, Math.min(t1, p.to) - p.from, p.from - p.start);
      }
    }
    return out;
  });
  return { rows, dates: dates.slice(a, b + 1), instruments: parts.map((p) => p.code), rowDate, rowInst, columns, data };
}

/** Where an instrument's rows go, before its columns are known. */
export type InstrumentRows = Omit<InstrumentColumns, 'cols' | 'start'>;

/**
 * The rows of `assembleFrame` as row-major blocks of `widths` consecutive
 * columns, laid out from each instrument's calendar rows up front, then
 * filled one instrument at a time as its columns become available (the
 * provider writes an instrument's rows right after evaluating it, while its
 * series are still in cache, or as a worker thread delivers them). Each
 * output row is written whole, day by day: the reads advance in step
 * through the instrument's series (one cache line of each serves 16 days).
 * Measured on 300 x 2509 x 158: 0.42 s; copying a column at a time over
 * 16-day runs instead: 0.78 s.
 */
export class RowBlockAssembler {
  private readonly rows: number;
  private readonly rowDate: Int32Array;
  private readonly rowInst: Int32Array;
  private readonly target: Int32Array[];
  private readonly blocks: Float32Array[];
  /** Parts written so far: the rows of the others are zeroed by `result`. */
  private readonly written: Uint8Array;

  constructor(
    private readonly dates: readonly string[],
    private readonly a: number,
    private readonly b: number,
    private readonly columns: string[],
    private readonly widths: readonly number[],
    private readonly parts: readonly InstrumentRows[],
  ) {
    const n = numberRows(a, b, parts);
    this.rows = n.rows;
    this.rowDate = n.rowDate;
    this.rowInst = n.rowInst;
    this.target = n.target;
    // On reused memory (stale values): every row is written by `write` or zeroed by `result`, as on new memory.
    this.blocks = widths.map((w) => frameBuffers.take(n.rows * w, false));
    this.written = new Uint8Array(parts.length);
  }

  /** Part k's columns (all request fields, in order), whose series starts at calendar index `start`. */
  write(k: number, start: number, cols: readonly Float32Array[]): void {
    const p = this.parts[k]!;
    this.written[k] = 1;
    let first = 0;
    this.widths.forEach((width, g) => {
      copyRows(this.blocks[g]!, width, cols.slice(first, first + width), this.target[k]!, p.from - start);
      first += width;
    });
  }

  result(): FeatureRowBlocks {
    for (let k = 0; k < this.parts.length; k++) {
      if (this.written[k]) continue;
      this.widths.forEach((width, g) => zeroRows(this.blocks[g]!, width, this.target[k]!));
    }
    return {
      rows: this.rows,
      dates: this.dates.slice(this.a, this.b + 1),
      instruments: this.parts.map((p) => p.code),
      rowDate: this.rowDate,
      rowInst: this.rowInst,
      columns: this.columns,
      widths: [...this.widths],
      blocks: this.blocks,
    };
  }
}

/** Each day d of one instrument with an output row: out[row, c] = cols[c][d + offset]. */
function copyRows(out: Float32Array, width: number, cols: Float32Array[], target: Int32Array, offset: number): void {
  for (let d = 0; d < target.length; d++) {
    const r = target[d]!;
    if (r < 0) continue;
    const base = r * width;
    for (let c = 0; c < width; c++) out[base + c] = cols[c]![d + offset]!;
  }
}

/** The rows of one instrument set to 0 (those of a part never written). */
function zeroRows(out: Float32Array, width: number, target: Int32Array): void {
  for (let d = 0; d < target.length; d++) {
    const r = target[d]!;
    if (r >= 0) out.fill(0, r * width, (r + 1) * width);
  }
}

/**
 * Numbers the output rows, date-major (by day, then instrument in the order
 * of `parts`): per instrument and day of [from, to] its row, -1 where masked.
 */
function numberRows(a: number, b: number, parts: readonly InstrumentRows[]): { rows: number; rowDate: Int32Array; rowInst: Int32Array; target: Int32Array[] } {
  const days = b - a + 1;
  const perDay = new Int32Array(days + 1);
  for (const p of parts) {
    for (let t = p.from; t <= p.to; t++) if (!p.mask || p.mask[t - p.from]) perDay[t - a + 1]!++;
  }
  for (let d = 0; d < days; d++) perDay[d + 1]! += perDay[d]!;
  const rows = perDay[days]!;
  const rowDate = new Int32Array(rows);
  const rowInst = new Int32Array(rows);
  const target = parts.map((p, k) => {
    const d = new Int32Array(p.to - p.from + 1);
    for (let t = p.from; t <= p.to; t++) {
      if (p.mask && !p.mask[t - p.from]) {
        d[t - p.from] = -1;
        continue;
      }
      const r = perDay[t - a]!++;
      rowDate[r] = t - a;
      rowInst[r] = k;
      d[t - p.from] = r;
    }
    return d;
  });
  return { rows, rowDate, rowInst, target };
}

/** out[target[i]] = src[i + offset] for i in [lo, hi] where target[i] >= 0. */
function scatterDays(out: Float32Array, src: Float32Array, target: Int32Array, lo: number, hi: number, offset: number): void {
  for (let i = lo; i <= hi; i++) {
    const r = target[i]!;
    if (r >= 0) out[r] = src[i + offset]!;
  }
}
