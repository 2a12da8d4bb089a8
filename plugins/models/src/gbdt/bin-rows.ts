/**
 * Binning a range of rows (bin-mapper.ts binRows), also run by the histogram
 * workers on their share of the rows: no imports.
 */

/** Upper-bound slots per feature in the padded lookup table (255 bounds + an open end). */
export const BIN_TABLE_WIDTH = 256;

export interface BinRowsTask {
  /** Row-major values, `cols` per row. */
  features: Float32Array;
  rows: number;
  cols: number;
  /** Bytes per row of the row-major bins. */
  stride: number;
  /** Each feature's upper bounds padded with +Infinity to BIN_TABLE_WIDTH slots. */
  table: Float64Array;
  numBins: Int32Array;
  colMajor: Uint8Array;
  rowMajor: Uint8Array;
}

/** Bins rows [first, end) into both matrices; sets hasNaN[f] for columns with a missing value there. */
export function binRowRange(task: BinRowsTask, first: number, end: number, hasNaN: Uint8Array): void {
  const { features, rows, cols, stride, table, numBins, colMajor, rowMajor } = task;
  // Tiles of rows, one feature at a time: that feature's table stays in L1, and
  // four rows are searched side by side so their load chains overlap.
  const TILE = 256;
  for (let r0 = first; r0 < end; r0 += TILE) {
    const r1 = Math.min(end, r0 + TILE);
    for (let f = 0; f < cols; f++) {
      const o = f * BIN_TABLE_WIDTH;
      const out = f * rows;
      const nanBin = numBins[f]!;
      let r = r0;
      for (; r + 3 < r1; r += 4) {
        const p = r * cols + f;
        const x0 = features[p]!;
        const x1 = features[p + cols]!;
        const x2 = features[p + 2 * cols]!;
        const x3 = features[p + 3 * cols]!;
        let b0 = +(x0 > table[o + 127]!) << 7;
        let b1 = +(x1 > table[o + 127]!) << 7;
        let b2 = +(x2 > table[o + 127]!) << 7;
        let b3 = +(x3 > table[o + 127]!) << 7;
        b0 += +(x0 > table[o + b0 + 63]!) << 6;
        b1 += +(x1 > table[o + b1 + 63]!) << 6;
        b2 += +(x2 > table[o + b2 + 63]!) << 6;
        b3 += +(x3 > table[o + b3 + 63]!) << 6;
        b0 += +(x0 > table[o + b0 + 31]!) << 5;
        b1 += +(x1 > table[o + b1 + 31]!) << 5;
        b2 += +(x2 > table[o + b2 + 31]!) << 5;
        b3 += +(x3 > table[o + b3 + 31]!) << 5;
        b0 += +(x0 > table[o + b0 + 15]!) << 4;
        b1 += +(x1 > table[o + b1 + 15]!) << 4;
        b2 += +(x2 > table[o + b2 + 15]!) << 4;
        b3 += +(x3 > table[o + b3 + 15]!) << 4;
        b0 += +(x0 > table[o + b0 + 7]!) << 3;
        b1 += +(x1 > table[o + b1 + 7]!) << 3;
        b2 += +(x2 > table[o + b2 + 7]!) << 3;
        b3 += +(x3 > table[o + b3 + 7]!) << 3;
        b0 += +(x0 > table[o + b0 + 3]!) << 2;
        b1 += +(x1 > table[o + b1 + 3]!) << 2;
        b2 += +(x2 > table[o + b2 + 3]!) << 2;
        b3 += +(x3 > table[o + b3 + 3]!) << 2;
        b0 += +(x0 > table[o + b0 + 1]!) << 1;
        b1 += +(x1 > table[o + b1 + 1]!) << 1;
        b2 += +(x2 > table[o + b2 + 1]!) << 1;
        b3 += +(x3 > table[o + b3 + 1]!) << 1;
        b0 += +(x0 > table[o + b0]!);
        b1 += +(x1 > table[o + b1]!);
        b2 += +(x2 > table[o + b2]!);
        b3 += +(x3 > table[o + b3]!);
        // Missing values (NaN compares false above) take their own bin.
        if (x0 !== x0 || x1 !== x1 || x2 !== x2 || x3 !== x3) {
          hasNaN[f] = 1;
          if (x0 !== x0) b0 = nanBin;
          if (x1 !== x1) b1 = nanBin;
          if (x2 !== x2) b2 = nanBin;
          if (x3 !== x3) b3 = nanBin;
        }
        colMajor[out + r] = b0;
        colMajor[out + r + 1] = b1;
        colMajor[out + r + 2] = b2;
        colMajor[out + r + 3] = b3;
      }
      for (; r < r1; r++) {
        const x = features[r * cols + f]!;
        let b = +(x > table[o + 127]!) << 7;
        b += +(x > table[o + b + 63]!) << 6;
        b += +(x > table[o + b + 31]!) << 5;
        b += +(x > table[o + b + 15]!) << 4;
        b += +(x > table[o + b + 7]!) << 3;
        b += +(x > table[o + b + 3]!) << 2;
        b += +(x > table[o + b + 1]!) << 1;
        b += +(x > table[o + b]!);
        if (x !== x) {
          b = nanBin;
          hasNaN[f] = 1;
        }
        colMajor[out + r] = b;
      }
    }
    for (let r = r0; r < r1; r++) {
      const dst = r * stride;
      for (let f = 0; f < cols; f++) rowMajor[dst + f] = colMajor[f * rows + r]!;
    }
  }
}
