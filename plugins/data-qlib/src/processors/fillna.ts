import type { HandlerFrame } from '../../../../core/index.js';
import { BaseProcessor, groupParts, type FrameParts } from './base-processor.js';
import { blocksOf, type FieldsGroup } from './fields-group.js';

export interface FillnaOptions {
  fields_group?: FieldsGroup;
  fill_value?: number;
}

/** Replaces NaN by `fill_value` (default 0) in the group's columns; infinities stay. */
export class Fillna extends BaseProcessor {
  readonly name = 'Fillna';
  readonly fieldsGroup: FieldsGroup;
  readonly fillValue: number;

  constructor(options: FillnaOptions = {}) {
    super();
    this.fieldsGroup = options.fields_group ?? null;
    this.fillValue = options.fill_value ?? 0;
  }

  override writes(): FrameParts {
    return groupParts(this.fieldsGroup);
  }

  applyInPlace(frame: HandlerFrame): HandlerFrame {
    const fill = this.fillValue;
    for (const { data } of blocksOf(frame, this.fieldsGroup)) {
      for (let i = 0; i < data.length; i++) if (data[i] !== data[i]) data[i] = fill;
    }
    return frame;
  }
}
