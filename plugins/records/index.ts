import { definePlugin } from '../../core/index.js';
import { sigAnaRecord, signalRecord } from './components/records.js';

export { signalAnalysis, nanMean, nanStd, type SignalAnalysis, type DailySeries } from './components/sig-analysis.js';

/** The built-in records of a task template's `record:` list (Qlib's qlib.workflow.record_temp). */
export const recordsPlugin = definePlugin({
  name: 'records',
  version: '1.0.0',
  description: "Built-in task records: SignalRecord, SigAnaRecord (Qlib's record_temp).",
  components: [signalRecord, sigAnaRecord],
});
