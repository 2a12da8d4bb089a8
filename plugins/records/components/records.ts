import { defineComponent, S, type TaskRecord } from '../../../core/index.js';
import { signalAnalysis, type DailySeries } from './sig-analysis.js';

const placeholder = (what: string) =>
  S.optional(S.any({ description: `Qlib's \`<${what}>\` placeholder (accepted and ignored: the task's own ${what.toLowerCase()} is used).` }));

/** Qlib's SignalRecord: the model's test-segment predictions and the labels, stored as the recorder's `pred` and `label` scores. */
export const signalRecord = defineComponent({
  kind: 'record',
  name: 'SignalRecord',
  description: "Stores the model's predictions over the test segment and the labels (the recorder's `pred` and `label` scores, which the online manager serves).",
  schema: S.object({ model: placeholder('MODEL'), dataset: placeholder('DATASET') }),
  create: (): TaskRecord => ({
    generate: ({ pred, label }) => ({ scores: { pred, label } }),
  }),
});

/** JSON has no NaN: undefined days are stored as null. */
function jsonSeries(s: DailySeries): { dates: string[]; values: (number | null)[] } {
  return { dates: s.dates, values: s.values.map((v) => (Number.isFinite(v) ? v : null)) };
}

/** Qlib's SigAnaRecord: IC analysis of the predictions over the test segment. */
export const sigAnaRecord = defineComponent({
  kind: 'record',
  name: 'SigAnaRecord',
  description: 'Signal analysis over the test segment (Qlib SigAnaRecord): daily IC and rank IC; metrics `IC`, `ICIR`, `Rank IC`, `Rank ICIR`, and with `ana_long_short` the long-short returns.',
  schema: S.object({
    ana_long_short: S.optional(S.boolean({ default: false, description: 'Also the daily long-short (top/bottom 20% by prediction) and long-average returns, annualised.' })),
    ann_scaler: S.optional(S.number({ exclusiveMinimum: 0, default: 252, description: 'Periods per year for the annualised returns and Sharpe ratios.' })),
    label_col: S.optional(S.integer({ minimum: 0, maximum: 0, description: 'Label column (only the first label is recorded, so 0).' })),
    skip_existing: S.optional(S.boolean({ description: "Qlib's option (accepted; a finished task is never analysed twice)." })),
  }),
  create: (o): TaskRecord => ({
    generate({ pred, label }) {
      const a = signalAnalysis(pred, label, { longShort: o.ana_long_short ?? false, annScaler: o.ann_scaler ?? 252 });
      const artifacts: Record<string, unknown> = {};
      for (const [name, s] of Object.entries(a.series)) artifacts[`sig_analysis/${name}`] = jsonSeries(s);
      return { metrics: a.metrics, artifacts };
    },
  }),
});
