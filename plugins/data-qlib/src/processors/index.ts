export { BaseProcessor, FittedProcessor, isBaseProcessor } from './base-processor.js';
export { ColumnAffineProcessor, type AffineFit } from './column-affine.js';
export { RobustZScoreNorm, type RobustZScoreNormOptions } from './robust-zscore-norm.js';
export { ZScoreNorm, type ZScoreNormOptions } from './zscore-norm.js';
export { MinMaxNorm, type MinMaxNormOptions } from './min-max-norm.js';
export { Fillna, type FillnaOptions } from './fillna.js';
export { DropnaProcessor, DropnaLabel, DropnaFeature, type DropnaOptions } from './dropna-processor.js';
export { CSRankNorm, type CSRankNormOptions } from './cs-rank-norm.js';
export { CSZScoreNorm, type CSZScoreNormOptions, type CSZScoreMethod } from './cs-zscore-norm.js';
export { CSZFillna, type CSZFillnaOptions } from './cs-zfillna.js';
export { ProcessInf } from './process-inf.js';
export { FilterCol, DropCol, selectColumns, type FilterColOptions, type DropColOptions } from './column-filter.js';
export { TanhProcess } from './tanh-process.js';
export type { FieldsGroup, ColumnGroup, ColumnKey } from './fields-group.js';
export { dateBlockStarts, sliceDates, sliceRows, cloneFrame, rowMajorFromColumns } from './frame-rows.js';
export { PROCESSOR_SCHEMAS } from './schemas.js';
export { PROCESSOR_COMPONENTS, PROCESSOR_NAMES } from './components.js';
export { withFitWindow, FITTED_PROCESSOR_NAMES } from './fit-window.js';
export { createProcessor, processorFromSpec } from './standalone.js';
export {
  applyProcessors,
  fitAndApply,
  fitInferLearn,
  applyInferLearn,
  checkInferProcessors,
  checkFrame,
  saveProcessorStates,
  loadProcessorStates,
  type ProcessType,
  type ApplyOptions,
  type InferLearnFrames,
  type SavedProcessorState,
} from './pipeline.js';
