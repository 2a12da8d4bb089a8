import type { HandlerFrame } from '../../../../core/index.js';
import { BaseProcessor, groupParts, type FrameParts } from './base-processor.js';
import { blocksOf, type FieldsGroup } from './fields-group.js';
import { dateBlockStarts } from './frame-rows.js';

export interface CSZFillnaOptions {
  fields_group?: FieldsGroup;
}

/** Per date and column, replaces NaN by the mean of that date's non-NaN values. */
export class CSZFillna extends BaseProcessor {
  readonly name = 'CSZFillna';
  readonly fieldsGroup: FieldsGroup;

  constructor(options: CSZFillnaOptions = {}) {
    super();
    this.fieldsGroup = options.fields_group ?? null;
  }

  override writes(): FrameParts {
    return groupParts(this.fieldsGroup);
  }

  applyInPlace(frame: HandlerFrame): HandlerFrame {
    const starts = dateBlockStarts(frame);
    for (const { data, width } of blocksOf(frame, this.fieldsGroup)) {
      for (let b = 0; b + 1 < starts.length; b++) {
        for (let col = 0; col < width; col++) {
          const from = starts[b]! * width + col;
          const to = starts[b + 1]! * width;
          let sum = 0;
          let n = 0;
          for (let p = from; p < to; p += width) {
            const v = data[p]!;
            if (v === v) {
              sum += v;
              n++;
            }
          }
          if (n === 0 || n === starts[b + 1]! - starts[b]!) continue;
          const mean = sum / n;
          for (let p = from; p < to; p += width) if (data[p] !== data[p]) data[p] = mean;
        }
      }
    }
    return frame;
  }
}
