import { S, type TSchema } from '../../../../core/index.js';

const fieldsGroup = (dflt: 'feature' | 'label' | null, what: string) =>
  S.optional(
    S.nullable(S.enum(['feature', 'label'] as const), {
      description: `Columns to ${what}: \`feature\`, \`label\`, or null for every column (features and labels).`,
      default: dflt,
    }),
  );

const fitStart = S.optional(
  S.nullable(S.date(), {
    description: 'First date of the fit window (the handler sets it from its own fit_start_time). Open when absent.',
  }),
);
const fitEnd = S.optional(
  S.nullable(S.date(), {
    description: 'Last date of the fit window; must not reach into test data (the handler sets it). Open when absent.',
  }),
);

export const ROBUST_ZSCORE_NORM_SCHEMA = S.object(
  {
    fit_start_time: fitStart,
    fit_end_time: fitEnd,
    fields_group: fieldsGroup(null, 'normalise'),
    clip_outlier: S.optional(S.boolean({ description: 'Clip the normalised values to [-3, 3].', default: true })),
  },
  { description: '(x - median) / (MAD * 1.4826) per column, fitted on the fit window.' },
);

export const ZSCORE_NORM_SCHEMA = S.object(
  { fit_start_time: fitStart, fit_end_time: fitEnd, fields_group: fieldsGroup(null, 'normalise') },
  { description: '(x - mean) / std (ddof 0) per column, fitted on the fit window.' },
);

export const MIN_MAX_NORM_SCHEMA = S.object(
  { fit_start_time: fitStart, fit_end_time: fitEnd, fields_group: fieldsGroup(null, 'normalise') },
  { description: '(x - min) / (max - min) per column, fitted on the fit window.' },
);

export const FILLNA_SCHEMA = S.object(
  {
    fields_group: fieldsGroup(null, 'fill'),
    fill_value: S.optional(S.number({ description: 'Value that replaces NaN.', default: 0 })),
  },
  { description: 'Replaces NaN by a constant.' },
);

export const DROPNA_PROCESSOR_SCHEMA = S.object(
  { fields_group: fieldsGroup(null, 'check for NaN') },
  { description: 'Drops rows with a NaN in any column of the group.' },
);

export const DROPNA_LABEL_SCHEMA = S.object(
  { fields_group: fieldsGroup('label', 'check for NaN') },
  { description: 'Drops rows whose label is NaN (learn only).' },
);

export const DROPNA_FEATURE_SCHEMA = S.object(
  { fields_group: fieldsGroup('feature', 'check for NaN') },
  { description: 'Drops rows with a NaN feature.' },
);

export const CS_RANK_NORM_SCHEMA = S.object(
  { fields_group: fieldsGroup(null, 'rank') },
  { description: 'Per date: (percentile rank - 0.5) * 3.46.' },
);

const groupName = S.nullable(S.enum(['feature', 'label'] as const));

export const CS_ZSCORE_NORM_SCHEMA = S.object(
  {
    fields_group: S.optional(
      S.union([groupName, S.array(groupName)], {
        description: 'Columns to normalise: `feature`, `label`, null for every column, or a list of groups.',
        default: null,
      }),
    ),
    method: S.optional(
      S.enum(['zscore', 'robust'] as const, {
        description: '`zscore`: (x - mean) / std with ddof 1; `robust`: (x - median) / (MAD * 1.4826) clipped to [-3, 3].',
        default: 'zscore',
      }),
    ),
  },
  { description: 'Per date z-score of each column.' },
);

export const CS_ZFILLNA_SCHEMA = S.object(
  { fields_group: fieldsGroup(null, 'fill') },
  { description: "Per date, replaces NaN by the column's mean of that date." },
);

export const PROCESS_INF_SCHEMA = S.object({}, { description: "Per date, replaces ±inf by the column's mean of the finite values." });

export const FILTER_COL_SCHEMA = S.object(
  {
    fields_group: fieldsGroup('feature', 'filter (columns of other groups are kept)'),
    col_list: S.optional(S.array(S.string(), { description: 'Names of the columns of the group to keep.', default: [] })),
  },
  { description: "Keeps only the listed columns of a group." },
);

export const DROP_COL_SCHEMA = S.object(
  { col_list: S.optional(S.array(S.string(), { description: 'Names of the columns to drop.', default: [] })) },
  { description: 'Drops the listed columns.' },
);

export const TANH_PROCESS_SCHEMA = S.object({}, { description: 'tanh(x - 1) on every column whose name does not contain LABEL.' });

/** kwargs JSON Schema of each processor, by Qlib class name. */
export const PROCESSOR_SCHEMAS: Record<string, TSchema> = {
  RobustZScoreNorm: ROBUST_ZSCORE_NORM_SCHEMA,
  ZScoreNorm: ZSCORE_NORM_SCHEMA,
  MinMaxNorm: MIN_MAX_NORM_SCHEMA,
  Fillna: FILLNA_SCHEMA,
  DropnaProcessor: DROPNA_PROCESSOR_SCHEMA,
  DropnaLabel: DROPNA_LABEL_SCHEMA,
  DropnaFeature: DROPNA_FEATURE_SCHEMA,
  CSRankNorm: CS_RANK_NORM_SCHEMA,
  CSZScoreNorm: CS_ZSCORE_NORM_SCHEMA,
  CSZFillna: CS_ZFILLNA_SCHEMA,
  ProcessInf: PROCESS_INF_SCHEMA,
  FilterCol: FILTER_COL_SCHEMA,
  DropCol: DROP_COL_SCHEMA,
  TanhProcess: TANH_PROCESS_SCHEMA,
};
