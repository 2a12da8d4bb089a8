import { QonlineError, type HandlerFrame } from '../../../../core/index.js';

/** Qlib's column groups: `feature`, `label`, or null for every column of both. */
export type FieldsGroup = 'feature' | 'label' | null;
export type ColumnGroup = 'feature' | 'label';

/** One block of a frame: a row-major matrix with its column names. */
export interface ColumnBlock {
  group: ColumnGroup;
  data: Float32Array;
  width: number;
  names: string[];
}

export function blockOf(frame: HandlerFrame, group: ColumnGroup): ColumnBlock {
  return group === 'feature'
    ? { group, data: frame.features, width: frame.featureNames.length, names: frame.featureNames }
    : { group, data: frame.labels, width: frame.labelNames.length, names: frame.labelNames };
}

/** The blocks a fields_group covers (null: features then labels, as Qlib's column order). */
export function blocksOf(frame: HandlerFrame, fieldsGroup: FieldsGroup | undefined): ColumnBlock[] {
  if (fieldsGroup === 'feature' || fieldsGroup === 'label') return [blockOf(frame, fieldsGroup)];
  return [blockOf(frame, 'feature'), blockOf(frame, 'label')];
}

/** A fitted column, remembered by name so a later frame may order its columns differently. */
export type ColumnKey = [ColumnGroup, string];

export function columnKeys(frame: HandlerFrame, fieldsGroup: FieldsGroup | undefined): ColumnKey[] {
  const keys: ColumnKey[] = [];
  for (const b of blocksOf(frame, fieldsGroup)) for (const n of b.names) keys.push([b.group, n]);
  return keys;
}

/**
 * Where each fitted column sits in `frame`: per key, its block and index.
 * A fitted column missing from the frame is an error (Qlib raises a KeyError).
 */
export function locateColumns(frame: HandlerFrame, keys: ColumnKey[], processor: string): { block: ColumnBlock; index: number }[] {
  const feature = blockOf(frame, 'feature');
  const label = blockOf(frame, 'label');
  const featureIdx = indexByName(feature.names);
  const labelIdx = indexByName(label.names);
  const missing: string[] = [];
  const out = keys.map(([group, name]) => {
    const index = (group === 'feature' ? featureIdx : labelIdx).get(name);
    if (index === undefined) missing.push(`${group}:${name}`);
    return { block: group === 'feature' ? feature : label, index: index ?? -1 };
  });
  if (missing.length > 0) {
    throw new QonlineError(
      'QONLINE_DATA_INVALID',
      `${processor} was fitted on columns the frame does not have: ${missing.slice(0, 5).join(', ')}${missing.length > 5 ? ` (and ${missing.length - 5} more)` : ''}.`,
      { hint: 'Apply a fitted processor to frames with the columns it was fitted on.' },
    );
  }
  return out;
}

function indexByName(names: string[]): Map<string, number> {
  const m = new Map<string, number>();
  names.forEach((n, i) => m.set(n, i));
  return m;
}
