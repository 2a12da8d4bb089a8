import { defineComponent, type ComponentDefinition } from '../../../../core/index.js';
import { CSRankNorm } from './cs-rank-norm.js';
import { CSZFillna } from './cs-zfillna.js';
import { CSZScoreNorm } from './cs-zscore-norm.js';
import { DropCol, FilterCol } from './column-filter.js';
import { DropnaFeature, DropnaLabel, DropnaProcessor } from './dropna-processor.js';
import { Fillna } from './fillna.js';
import { MinMaxNorm } from './min-max-norm.js';
import { ProcessInf } from './process-inf.js';
import { RobustZScoreNorm } from './robust-zscore-norm.js';
import * as SCHEMA from './schemas.js';
import { TanhProcess } from './tanh-process.js';
import { ZScoreNorm } from './zscore-norm.js';

const description = (schema: object): string => String((schema as { description?: unknown }).description ?? '');

/**
 * Every processor as a component, under its Qlib class name: the kernel
 * validates its options against the schema, then its factory builds it. This
 * is the only place processors are constructed (handlers resolve them
 * through the kernel; `createProcessor` builds through a small kernel).
 */
export const PROCESSOR_COMPONENTS: ComponentDefinition<any, any, any>[] = [
  defineComponent({ kind: 'processor', name: 'RobustZScoreNorm', description: description(SCHEMA.ROBUST_ZSCORE_NORM_SCHEMA), schema: SCHEMA.ROBUST_ZSCORE_NORM_SCHEMA, create: (o) => new RobustZScoreNorm(o) }),
  defineComponent({ kind: 'processor', name: 'ZScoreNorm', description: description(SCHEMA.ZSCORE_NORM_SCHEMA), schema: SCHEMA.ZSCORE_NORM_SCHEMA, create: (o) => new ZScoreNorm(o) }),
  defineComponent({ kind: 'processor', name: 'MinMaxNorm', description: description(SCHEMA.MIN_MAX_NORM_SCHEMA), schema: SCHEMA.MIN_MAX_NORM_SCHEMA, create: (o) => new MinMaxNorm(o) }),
  defineComponent({ kind: 'processor', name: 'Fillna', description: description(SCHEMA.FILLNA_SCHEMA), schema: SCHEMA.FILLNA_SCHEMA, create: (o) => new Fillna(o) }),
  defineComponent({ kind: 'processor', name: 'DropnaProcessor', description: description(SCHEMA.DROPNA_PROCESSOR_SCHEMA), schema: SCHEMA.DROPNA_PROCESSOR_SCHEMA, create: (o) => new DropnaProcessor(o) }),
  defineComponent({ kind: 'processor', name: 'DropnaLabel', description: description(SCHEMA.DROPNA_LABEL_SCHEMA), schema: SCHEMA.DROPNA_LABEL_SCHEMA, create: (o) => new DropnaLabel(o) }),
  defineComponent({ kind: 'processor', name: 'DropnaFeature', description: description(SCHEMA.DROPNA_FEATURE_SCHEMA), schema: SCHEMA.DROPNA_FEATURE_SCHEMA, create: (o) => new DropnaFeature(o) }),
  defineComponent({ kind: 'processor', name: 'CSRankNorm', description: description(SCHEMA.CS_RANK_NORM_SCHEMA), schema: SCHEMA.CS_RANK_NORM_SCHEMA, create: (o) => new CSRankNorm(o) }),
  defineComponent({ kind: 'processor', name: 'CSZScoreNorm', description: description(SCHEMA.CS_ZSCORE_NORM_SCHEMA), schema: SCHEMA.CS_ZSCORE_NORM_SCHEMA, create: (o) => new CSZScoreNorm(o) }),
  defineComponent({ kind: 'processor', name: 'CSZFillna', description: description(SCHEMA.CS_ZFILLNA_SCHEMA), schema: SCHEMA.CS_ZFILLNA_SCHEMA, create: (o) => new CSZFillna(o) }),
  defineComponent({ kind: 'processor', name: 'ProcessInf', description: description(SCHEMA.PROCESS_INF_SCHEMA), schema: SCHEMA.PROCESS_INF_SCHEMA, create: () => new ProcessInf() }),
  defineComponent({ kind: 'processor', name: 'FilterCol', description: description(SCHEMA.FILTER_COL_SCHEMA), schema: SCHEMA.FILTER_COL_SCHEMA, create: (o) => new FilterCol(o) }),
  defineComponent({ kind: 'processor', name: 'DropCol', description: description(SCHEMA.DROP_COL_SCHEMA), schema: SCHEMA.DROP_COL_SCHEMA, create: (o) => new DropCol(o) }),
  defineComponent({ kind: 'processor', name: 'TanhProcess', description: description(SCHEMA.TANH_PROCESS_SCHEMA), schema: SCHEMA.TANH_PROCESS_SCHEMA, create: () => new TanhProcess() }),
];

/** Processor names (Qlib class names). */
export const PROCESSOR_NAMES: readonly string[] = PROCESSOR_COMPONENTS.map((c) => c.name);
