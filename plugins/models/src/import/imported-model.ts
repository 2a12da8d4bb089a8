import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import type { FitInfo, FitOptions, MatrixDataset, MatrixInput, Model, SerializedModel } from '../../../../core/index.js';
import { checkMatrixInput } from '../matrix-checks.js';
import { checkTree, CompiledForest, type ForestState } from './forest.js';
import { readLightgbmText } from './lightgbm-text.js';
import { modelFileError } from './model-file-error.js';
import { readXgboostJson } from './xgboost-json.js';

export const IMPORTED_CLASS = 'ImportedModel';
export const IMPORTED_FORMAT_VERSION = 1;
export const IMPORT_FORMATS = ['xgboost-json', 'lightgbm-text'] as const;
export type ImportFormat = (typeof IMPORT_FORMATS)[number];

export interface ImportedOptions {
  /** Path of the model file (relative paths: from the working directory). */
  file?: string;
  /** The file's text (or, for XGBoost, its parsed JSON) instead of `file`. */
  source?: string | object;
  format: ImportFormat;
  /** Expected sha256 of the file's bytes: a changed file is refused. */
  sha256?: string;
  /** Column names, when the file has none or to override them. */
  feature_names?: string[];
}

export interface ImportedState {
  forest: ForestState;
  /** Where the model came from: the file and the sha256 of its bytes. */
  lineage: { format: ImportFormat; file: string | null; sha256: string };
}

/** Reads a model file into the library-neutral forest (no qonline state involved). */
export function readModelSource(source: string | object, format: ImportFormat): ForestState {
  if (format === 'xgboost-json') return readXgboostJson(source);
  if (format === 'lightgbm-text') {
    if (typeof source !== 'string') throw modelFileError(`lightgbm-text: expected the model file's text, found ${typeof source}`);
    return readLightgbmText(source);
  }
  throw modelFileError(`unknown model file format ${JSON.stringify(format)}; known: ${IMPORT_FORMATS.join(', ')}`);
}

/**
 * A tree ensemble trained by XGBoost or LightGBM, predicting what the
 * library predicts (XGBoost in float32, LightGBM in double). `fit` trains
 * nothing: it checks that the training matrix has the model's columns (and
 * names, where the file or `feature_names` has them).
 */
export class ImportedModel implements Model {
  readonly className = IMPORTED_CLASS;
  private readonly compiled: CompiledForest;

  private constructor(
    private readonly state: ImportedState,
    private readonly kwargs: Record<string, unknown>,
  ) {
    this.compiled = new CompiledForest(state.forest);
  }

  static create(options: ImportedOptions): ImportedModel {
    const format = options.format;
    if (!(IMPORT_FORMATS as readonly string[]).includes(format)) throw modelFileError(`${IMPORTED_CLASS}: format must be one of ${IMPORT_FORMATS.join(', ')}, found ${JSON.stringify(format)}`);
    let bytes: Buffer;
    let source: string | object;
    let file: string | null = null;
    if (options.source !== undefined) {
      if (options.file !== undefined) throw modelFileError(`${IMPORTED_CLASS}: give either file or source, not both`);
      source = options.source;
      bytes = Buffer.from(typeof source === 'string' ? source : JSON.stringify(source), 'utf8');
    } else if (typeof options.file === 'string' && options.file !== '') {
      file = options.file;
      try {
        bytes = readFileSync(path.resolve(file));
      } catch (e) {
        throw modelFileError(`${IMPORTED_CLASS}: cannot read model file ${file}: ${(e as Error).message}`);
      }
      source = bytes.toString('utf8');
    } else {
      throw modelFileError(`${IMPORTED_CLASS}: kwargs need file (the model file's path) and format`);
    }
    const sha256 = createHash('sha256').update(bytes).digest('hex');
    if (options.sha256 !== undefined && options.sha256.toLowerCase() !== sha256) {
      throw modelFileError(`${IMPORTED_CLASS}: ${file ?? 'the model'} has sha256 ${sha256}, expected ${options.sha256} (the file changed since it was named)`);
    }
    let forest: ForestState;
    try {
      forest = readModelSource(source, format);
    } catch (e) {
      if (file && e instanceof Error) e.message = `${file}: ${e.message}`;
      throw e;
    }
    if (options.feature_names !== undefined) {
      if (options.feature_names.length !== forest.cols) {
        throw modelFileError(`${IMPORTED_CLASS}: feature_names has ${options.feature_names.length} names but ${file ?? 'the model'} has ${forest.cols} features`);
      }
      forest = { ...forest, feature_names: [...options.feature_names] };
    }
    const { source: _omit, ...kept } = options;
    return new ImportedModel({ forest, lineage: { format, file, sha256 } }, { ...kept, sha256 });
  }

  static fromJSON(serialized: SerializedModel): ImportedModel {
    if (!serialized || serialized.format !== 'qonline-model' || serialized.class !== IMPORTED_CLASS) {
      throw modelFileError(`expected a serialised ${IMPORTED_CLASS} (format "qonline-model", class "${IMPORTED_CLASS}"), found class ${JSON.stringify(serialized?.class)}`);
    }
    if (serialized.version !== IMPORTED_FORMAT_VERSION) {
      throw modelFileError(`${IMPORTED_CLASS} model version ${serialized.version} is not supported (this build reads version ${IMPORTED_FORMAT_VERSION})`);
    }
    const s = serialized.state as ImportedState | null;
    const f = s?.forest;
    if (!f || typeof f !== 'object' || !Number.isInteger(f.cols) || f.cols < 1 || !Array.isArray(f.trees) || (f.format !== 'xgboost' && f.format !== 'lightgbm')) {
      throw modelFileError(`${IMPORTED_CLASS} model: state.forest must hold format, cols and trees`);
    }
    f.trees.forEach((t, i) => {
      const problem = checkTree(t, f.cols);
      if (problem) throw modelFileError(`${IMPORTED_CLASS} model: tree ${i}: ${problem}`);
    });
    return new ImportedModel(s!, serialized.kwargs ?? {});
  }

  get cols(): number {
    return this.state.forest.cols;
  }

  get featureNames(): string[] | undefined {
    return this.state.forest.feature_names ? [...this.state.forest.feature_names] : undefined;
  }

  get lineage(): ImportedState['lineage'] {
    return { ...this.state.lineage };
  }

  get objective(): string {
    return this.state.forest.objective;
  }

  get numTrees(): number {
    return this.state.forest.trees.length;
  }

  /** Trains nothing: checks the columns the task gives against the model's. */
  async fit(train: MatrixDataset, _valid?: MatrixDataset, options: FitOptions = {}): Promise<FitInfo> {
    this.checkColumns(train.cols, options.featureNames);
    const n = this.numTrees;
    return { rounds: n, bestRound: n, trainLoss: [], validLoss: [], imported: true, sha256: this.state.lineage.sha256 };
  }

  /** Count and (where the model has them) names must match; a clear error otherwise. */
  checkColumns(cols: number, names?: string[]): void {
    const { forest, lineage } = this.state;
    const what = lineage.file ?? 'the imported model';
    if (cols !== forest.cols) throw modelFileError(`${what} has ${forest.cols} features but the data has ${cols} columns${names ? ` (${preview(names)})` : ''}`);
    if (names && forest.feature_names) {
      const diffs: string[] = [];
      for (let j = 0; j < cols; j++) if (names[j] !== forest.feature_names[j]) diffs.push(`column ${j}: model ${JSON.stringify(forest.feature_names[j])}, data ${JSON.stringify(names[j])}`);
      if (diffs.length) {
        throw modelFileError(`${what}: feature names differ from the data's in ${diffs.length} of ${cols} columns: ${diffs.slice(0, 5).join('; ')}${diffs.length > 5 ? '; ...' : ''}`, 'the columns must come in the order the model was trained on; --feature-names / feature_names overrides the names in the file');
      }
    }
  }

  predict(input: MatrixInput): Float32Array {
    return Float32Array.from(this.predictDouble(input));
  }

  /** Predictions before the contract's float32 output: LightGBM's exact doubles (XGBoost's are float32 already). */
  predictDouble(input: MatrixInput): Float64Array {
    checkMatrixInput(input, `${IMPORTED_CLASS}.predict`, this.state.forest.cols);
    return this.compiled.predictDouble(input.features, input.rows, input.cols);
  }

  /** Raw scores before the objective's transform (XGBoost's output_margin, LightGBM's raw_score). */
  predictMargin(input: MatrixInput): Float64Array {
    checkMatrixInput(input, `${IMPORTED_CLASS}.predict`, this.state.forest.cols);
    return this.compiled.margins(input.features, input.rows, input.cols);
  }

  toJSON(): SerializedModel {
    return { format: 'qonline-model', version: IMPORTED_FORMAT_VERSION, class: IMPORTED_CLASS, kwargs: { ...this.kwargs }, state: this.state };
  }
}

function preview(names: string[]): string {
  return names.length <= 6 ? names.join(', ') : `${names.slice(0, 5).join(', ')}, ...`;
}
