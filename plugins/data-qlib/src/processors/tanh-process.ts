import type { HandlerFrame } from '../../../../core/index.js';
import { BaseProcessor, type FrameParts } from './base-processor.js';
import { blocksOf } from './fields-group.js';

/** tanh(x - 1) on every column whose name does not contain "LABEL" (Qlib's denoising). */
export class TanhProcess extends BaseProcessor {
  readonly name = 'TanhProcess';

  override writes(): FrameParts {
    return { rows: false, features: true, labels: true };
  }

  applyInPlace(frame: HandlerFrame): HandlerFrame {
    for (const { data, width, names } of blocksOf(frame, null)) {
      const cols = names.flatMap((n, i) => (n.includes('LABEL') ? [] : [i]));
      for (let base = 0; base < data.length; base += width) {
        for (const c of cols) data[base + c] = Math.tanh(Math.fround(data[base + c]! - 1));
      }
    }
    return frame;
  }
}
