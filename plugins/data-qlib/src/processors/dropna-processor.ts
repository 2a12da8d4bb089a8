import type { HandlerFrame } from '../../../../core/index.js';
import { BaseProcessor } from './base-processor.js';
import { blocksOf, type FieldsGroup } from './fields-group.js';
import { keepRows } from './frame-rows.js';

export interface DropnaOptions {
  fields_group?: FieldsGroup;
}

/** Drops every row with a NaN in any column of the group (pandas `dropna(subset=...)`, how='any'). */
export class DropnaProcessor extends BaseProcessor {
  readonly name: string = 'DropnaProcessor';
  readonly fieldsGroup: FieldsGroup;

  constructor(options: DropnaOptions = {}, defaultGroup: FieldsGroup = null) {
    super();
    this.fieldsGroup = options.fields_group === undefined ? defaultGroup : options.fields_group;
  }

  applyInPlace(frame: HandlerFrame): HandlerFrame {
    return this.applyOwned(frame, () => true);
  }

  /** Copies only the kept rows of arrays the caller owns not (instead of copying the whole frame first). */
  override applyOwned(frame: HandlerFrame, owns: (a: ArrayBufferView) => boolean): HandlerFrame {
    const keep = new Uint8Array(frame.rows).fill(1);
    for (const { data, width } of blocksOf(frame, this.fieldsGroup)) {
      if (width === 0) continue;
      for (let r = 0, p = 0; r < frame.rows; r++) {
        for (let end = p + width; p < end; p++) if (data[p] !== data[p]) keep[r] = 0;
      }
    }
    return keepRows(frame, keep, owns);
  }
}

/** Drops rows whose label is NaN. Training only: at inference labels are unknown. */
export class DropnaLabel extends DropnaProcessor {
  override readonly name = 'DropnaLabel';
  override readonly forInfer = false;

  constructor(options: DropnaOptions = {}) {
    super(options, 'label');
  }
}

/** Drops rows with a NaN feature. */
export class DropnaFeature extends DropnaProcessor {
  override readonly name = 'DropnaFeature';

  constructor(options: DropnaOptions = {}) {
    super(options, 'feature');
  }
}
