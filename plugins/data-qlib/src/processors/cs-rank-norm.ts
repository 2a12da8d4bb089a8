import type { HandlerFrame } from '../../../../core/index.js';
import { BaseProcessor, groupParts, type FrameParts } from './base-processor.js';
import { blocksOf, type FieldsGroup } from './fields-group.js';
import { dateBlockStarts } from './frame-rows.js';
import { sortPairs } from './sort-pairs.js';

export interface CSRankNormOptions {
  fields_group?: FieldsGroup;
}

/** 1 / std of a uniform percentile rank, Qlib's constant. */
const RANK_SCALE = 3.46;

/**
 * Per date and column: (percentile rank - 0.5) * 3.46, where the percentile
 * rank is the average rank of ties divided by the date's count of non-NaN
 * values (pandas `rank(pct=True)`); NaN stays NaN.
 */
export class CSRankNorm extends BaseProcessor {
  readonly name = 'CSRankNorm';
  readonly fieldsGroup: FieldsGroup;

  constructor(options: CSRankNormOptions = {}) {
    super();
    this.fieldsGroup = options.fields_group ?? null;
  }

  override writes(): FrameParts {
    return groupParts(this.fieldsGroup);
  }

  applyInPlace(frame: HandlerFrame): HandlerFrame {
    const starts = dateBlockStarts(frame);
    let maxBlock = 0;
    for (let b = 0; b + 1 < starts.length; b++) maxBlock = Math.max(maxBlock, starts[b + 1]! - starts[b]!);
    const keys = new Float64Array(maxBlock);
    const pos = new Int32Array(maxBlock);
    for (const { data, width } of blocksOf(frame, this.fieldsGroup)) {
      for (let b = 0; b + 1 < starts.length; b++) {
        for (let col = 0; col < width; col++) {
          const from = starts[b]! * width + col;
          const to = starts[b + 1]! * width;
          let n = 0;
          for (let p = from; p < to; p += width) {
            const v = data[p]!;
            if (v === v) {
              keys[n] = v;
              pos[n++] = p;
            }
          }
          sortPairs(keys, pos, n);
          // A run of ties [i, j) shares the average of the 1-based ranks i+1 .. j.
          for (let i = 0; i < n; ) {
            let j = i + 1;
            while (j < n && keys[j] === keys[i]) j++;
            const value = ((i + 1 + j) / 2 / n - 0.5) * RANK_SCALE;
            for (let t = i; t < j; t++) data[pos[t]!] = value;
            i = j;
          }
        }
      }
    }
    return frame;
  }
}
