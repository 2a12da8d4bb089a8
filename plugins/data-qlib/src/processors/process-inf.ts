import type { HandlerFrame } from '../../../../core/index.js';
import { BaseProcessor, type FrameParts } from './base-processor.js';
import { blocksOf } from './fields-group.js';
import { dateBlockStarts } from './frame-rows.js';

/**
 * Replaces +inf and -inf, per date and column, by the mean of that date's
 * finite values of the column (NaN when it has none), over every column.
 */
export class ProcessInf extends BaseProcessor {
  readonly name = 'ProcessInf';

  override writes(): FrameParts {
    return { rows: false, features: true, labels: true };
  }

  applyInPlace(frame: HandlerFrame): HandlerFrame {
    const starts = dateBlockStarts(frame);
    for (const { data, width } of blocksOf(frame, null)) {
      for (let b = 0; b + 1 < starts.length; b++) {
        for (let col = 0; col < width; col++) {
          const from = starts[b]! * width + col;
          const to = starts[b + 1]! * width;
          let hasInf = false;
          let sum = 0;
          let n = 0;
          for (let p = from; p < to; p += width) {
            const v = data[p]!;
            if (v === Infinity || v === -Infinity) hasInf = true;
            else if (v === v) {
              sum += v;
              n++;
            }
          }
          if (!hasInf) continue;
          const mean = n > 0 ? sum / n : NaN;
          for (let p = from; p < to; p += width) {
            const v = data[p]!;
            if (v === Infinity || v === -Infinity) data[p] = mean;
          }
        }
      }
    }
    return frame;
  }
}
