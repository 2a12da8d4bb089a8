import type { FeatureSet, HandlerDefaults } from './handler-defaults.js';
import { deepFreeze, DEFAULT_INFER_PROCESSORS, DEFAULT_LABEL, DEFAULT_LEARN_PROCESSORS } from './handler-defaults.js';

/**
 * The Alpha360 feature expressions and names, in Qlib's order: for close,
 * open, high, low, vwap and volume, the last 60 days (59 days ago first)
 * divided by today's close (volume by today's volume).
 */
export function alpha360Fields(): FeatureSet {
  const fields: string[] = [];
  const names: string[] = [];
  for (const field of ['close', 'open', 'high', 'low', 'vwap']) {
    for (let i = 59; i > 0; i--) {
      fields.push(`Ref($${field}, ${i})/$close`);
      names.push(`${field.toUpperCase()}${i}`);
    }
    fields.push(`$${field}/$close`);
    names.push(`${field.toUpperCase()}0`);
  }
  for (let i = 59; i > 0; i--) {
    fields.push(`Ref($volume, ${i})/($volume+1e-12)`);
    names.push(`VOLUME${i}`);
  }
  fields.push('$volume/($volume+1e-12)');
  names.push('VOLUME0');
  return { fields, names };
}

/**
 * Qlib's Alpha360 handler defaults: label LABEL0; infer ProcessInf,
 * ZScoreNorm, Fillna (every column, labels included, as in Qlib); learn
 * DropnaLabel then CSZScoreNorm on the label.
 */
export const ALPHA360_DEFAULTS: HandlerDefaults = deepFreeze({
  instruments: 'csi500',
  freq: 'day',
  processType: 'append',
  label: DEFAULT_LABEL,
  inferProcessors: DEFAULT_INFER_PROCESSORS,
  learnProcessors: DEFAULT_LEARN_PROCESSORS,
});
