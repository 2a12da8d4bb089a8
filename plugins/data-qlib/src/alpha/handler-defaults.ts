import type { ComponentSpec } from '../../../../core/index.js';

/** Parallel lists of Qlib expressions and their column names. */
export interface FeatureSet {
  fields: string[];
  names: string[];
}

/** What a Qlib contrib handler assumes when its kwargs leave something out. */
export interface HandlerDefaults {
  instruments: string;
  freq: string;
  processType: 'append' | 'independent';
  label: FeatureSet;
  inferProcessors: ComponentSpec[];
  learnProcessors: ComponentSpec[];
}

/** Freezes the shared default objects so a handler cannot change them for everyone by accident. */
export function deepFreeze<T>(value: T): T {
  if (value && typeof value === 'object') {
    for (const v of Object.values(value)) deepFreeze(v);
    Object.freeze(value);
  }
  return value;
}

/** Return from tomorrow's close to the day after: Qlib's default label. */
export const DEFAULT_LABEL: FeatureSet = deepFreeze({
  fields: ['Ref($close, -2)/Ref($close, -1) - 1'],
  names: ['LABEL0'],
});

/** Qlib's `_DEFAULT_LEARN_PROCESSORS`. */
export const DEFAULT_LEARN_PROCESSORS: ComponentSpec[] = deepFreeze([
  { class: 'DropnaLabel' },
  { class: 'CSZScoreNorm', kwargs: { fields_group: 'label' } },
]);

/** Qlib's `_DEFAULT_INFER_PROCESSORS` (Alpha360's default; Alpha158 has none). */
export const DEFAULT_INFER_PROCESSORS: ComponentSpec[] = deepFreeze([
  { class: 'ProcessInf', kwargs: {} },
  { class: 'ZScoreNorm', kwargs: {} },
  { class: 'Fillna', kwargs: {} },
]);
