import type { HandlerFrame } from '../../../../core/index.js';
import { BaseProcessor, type FrameParts } from './base-processor.js';
import type { FieldsGroup } from './fields-group.js';

/** Keeps the columns `keep(group, name)` accepts, in their order; returns a frame with new feature/label arrays. */
export function selectColumns(frame: HandlerFrame, keep: (group: 'feature' | 'label', name: string) => boolean): HandlerFrame {
  const pick = (group: 'feature' | 'label', names: string[], data: Float32Array) => {
    const idx: number[] = [];
    names.forEach((n, i) => {
      if (keep(group, n)) idx.push(i);
    });
    if (idx.length === names.length) return { names, data };
    const width = names.length;
    const out = new Float32Array(frame.rows * idx.length);
    for (let r = 0, w = 0; r < frame.rows; r++) for (const i of idx) out[w++] = data[r * width + i]!;
    return { names: idx.map((i) => names[i]!), data: out };
  };
  const f = pick('feature', frame.featureNames, frame.features);
  const l = pick('label', frame.labelNames, frame.labels);
  return { ...frame, featureNames: f.names, features: f.data, labelNames: l.names, labels: l.data };
}

const NO_PARTS: FrameParts = Object.freeze({ rows: false, features: false, labels: false });

export interface FilterColOptions {
  fields_group?: FieldsGroup;
  col_list?: string[];
}

/**
 * Keeps, among the group's columns, only those in `col_list`; columns
 * outside the group stay (Qlib's FilterCol). Group null filters every column.
 */
export class FilterCol extends BaseProcessor {
  readonly name = 'FilterCol';
  readonly fieldsGroup: FieldsGroup;
  readonly colList: string[];

  constructor(options: FilterColOptions = {}) {
    super();
    this.fieldsGroup = options.fields_group === undefined ? 'feature' : options.fields_group;
    this.colList = options.col_list ?? [];
  }

  override apply(frame: HandlerFrame): HandlerFrame {
    return this.applyInPlace(frame); // builds new column arrays; never writes the input
  }

  override writes(): FrameParts {
    return NO_PARTS;
  }

  applyInPlace(frame: HandlerFrame): HandlerFrame {
    const listed = new Set(this.colList);
    const group = this.fieldsGroup;
    return selectColumns(frame, (g, name) => (group !== null && g !== group) || listed.has(name));
  }
}

export interface DropColOptions {
  col_list?: string[];
}

/** Drops the listed columns, feature or label. */
export class DropCol extends BaseProcessor {
  readonly name = 'DropCol';
  readonly colList: string[];

  constructor(options: DropColOptions = {}) {
    super();
    this.colList = options.col_list ?? [];
  }

  override apply(frame: HandlerFrame): HandlerFrame {
    return this.applyInPlace(frame);
  }

  override writes(): FrameParts {
    return NO_PARTS;
  }

  applyInPlace(frame: HandlerFrame): HandlerFrame {
    const listed = new Set(this.colList);
    return selectColumns(frame, (_g, name) => !listed.has(name));
  }
}
