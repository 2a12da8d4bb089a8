import { checkTree, DEFAULT_LEFT_MASK, MISSING_NAN, type ForestState, type OutputTransform, type TreeState } from './forest.js';
import { modelFileError } from './model-file-error.js';

/**
 * Reads XGBoost's `Booster.save_model("m.json")` format (1.x and 2.x): a
 * gbtree booster with one output, numerical splits. Every problem names the
 * JSON path where it was found.
 */

/** Objective -> output transform and how base_score becomes the starting margin. */
const OBJECTIVES: Record<string, { transform: OutputTransform; margin: (b: number, at: string) => number }> = {
  'reg:squarederror': { transform: 'identity', margin: (b) => b },
  'reg:linear': { transform: 'identity', margin: (b) => b },
  'reg:pseudohubererror': { transform: 'identity', margin: (b) => b },
  'reg:logistic': { transform: 'sigmoid', margin: logit },
  'binary:logistic': { transform: 'sigmoid', margin: logit },
  'count:poisson': { transform: 'exp', margin: logOf },
};

/** XGBoost's ProbToMargin for logistic objectives, in float32: -log(1/p - 1). */
function logit(b: number, at: string): number {
  if (!(b > 0 && b < 1)) throw modelFileError(`${at}: base_score ${b} must lie in (0, 1) for a logistic objective`);
  return Math.fround(-Math.log(Math.fround(Math.fround(1 / b) - 1)));
}

function logOf(b: number, at: string): number {
  if (!(b > 0)) throw modelFileError(`${at}: base_score ${b} must be positive for count:poisson`);
  return Math.fround(Math.log(b));
}

type Json = unknown;

function kindOf(v: Json): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'an array';
  return typeof v === 'object' ? 'an object' : `${typeof v} ${JSON.stringify(v)}`;
}

function obj(v: Json, path: string): Record<string, Json> {
  if (v === null || typeof v !== 'object' || Array.isArray(v)) throw modelFileError(`XGBoost JSON: ${path}: expected an object, found ${v === undefined ? 'nothing' : kindOf(v)}`);
  return v as Record<string, Json>;
}

function arr(v: Json, path: string): Json[] {
  if (!Array.isArray(v)) throw modelFileError(`XGBoost JSON: ${path}: expected an array, found ${v === undefined ? 'nothing' : kindOf(v)}`);
  return v;
}

function numbers(v: Json, path: string, opts: { integer?: boolean; length?: number } = {}): number[] {
  const a = arr(v, path);
  if (opts.length !== undefined && a.length !== opts.length) throw modelFileError(`XGBoost JSON: ${path}: expected ${opts.length} entries, found ${a.length}`);
  return a.map((x, i) => {
    const n = typeof x === 'boolean' ? +x : x;
    if (typeof n !== 'number' || (opts.integer && !Number.isInteger(n))) {
      throw modelFileError(`XGBoost JSON: ${path}[${i}]: expected ${opts.integer ? 'an integer' : 'a number'}, found ${kindOf(x)}`);
    }
    return n;
  });
}

/** Integer parameters are strings in XGBoost's JSON ("num_feature": "158"). */
function intParam(o: Record<string, Json>, key: string, path: string, dflt?: number): number {
  const v = o[key];
  if (v === undefined && dflt !== undefined) return dflt;
  const n = typeof v === 'string' ? Number(v.trim()) : v;
  if (typeof n !== 'number' || !Number.isInteger(n)) throw modelFileError(`XGBoost JSON: ${path}.${key}: expected an integer, found ${v === undefined ? 'nothing' : kindOf(v)}`);
  return n;
}

/** base_score: "5E-1" (1.x) or "[5E-1]" (2.x, one entry per target). */
function baseScore(v: Json, path: string): number {
  if (typeof v === 'number') return v;
  if (typeof v !== 'string') throw modelFileError(`XGBoost JSON: ${path}: expected a number or a string, found ${v === undefined ? 'nothing' : kindOf(v)}`);
  let text = v.trim();
  if (text.startsWith('[')) {
    if (!text.endsWith(']')) throw modelFileError(`XGBoost JSON: ${path}: unterminated vector ${JSON.stringify(v)}`);
    const parts = text.slice(1, -1).split(',').map((s) => s.trim()).filter((s) => s !== '');
    if (parts.length !== 1) throw modelFileError(`XGBoost JSON: ${path}: ${parts.length} base scores (${JSON.stringify(v)}); multi-output models are not supported`);
    text = parts[0]!;
  }
  const n = Number(text);
  if (text === '' || !Number.isFinite(n)) throw modelFileError(`XGBoost JSON: ${path}: ${JSON.stringify(v)} is not a number`);
  return n;
}

export function readXgboostJson(source: string | object): ForestState {
  let root: Json;
  if (typeof source === 'string') {
    try {
      root = JSON.parse(source);
    } catch (e) {
      throw modelFileError(`XGBoost JSON: the text is not JSON (${(e as Error).message})`, 'save the model with Booster.save_model("model.json") (a .json name selects JSON)');
    }
  } else root = source;
  const top = obj(root, '$');
  const learner = obj(top['learner'], 'learner');
  const lmp = obj(learner['learner_model_param'], 'learner.learner_model_param');
  const cols = intParam(lmp, 'num_feature', 'learner.learner_model_param');
  if (cols < 1) throw modelFileError(`XGBoost JSON: learner.learner_model_param.num_feature: ${cols}; at least one feature is needed`);
  const numClass = intParam(lmp, 'num_class', 'learner.learner_model_param', 0);
  if (numClass > 1) throw modelFileError(`XGBoost JSON: learner.learner_model_param.num_class is ${numClass}: multi-class models are not supported (one output per row only)`);
  const numTarget = intParam(lmp, 'num_target', 'learner.learner_model_param', 1);
  if (numTarget > 1) throw modelFileError(`XGBoost JSON: learner.learner_model_param.num_target is ${numTarget}: multi-output models are not supported`);

  const objective = obj(learner['objective'], 'learner.objective');
  const objName = objective['name'];
  if (typeof objName !== 'string') throw modelFileError(`XGBoost JSON: learner.objective.name: expected a string, found ${kindOf(objName)}`);
  const spec = OBJECTIVES[objName];
  if (!spec) {
    throw modelFileError(`XGBoost JSON: learner.objective.name: objective ${JSON.stringify(objName)} is not supported; supported: ${Object.keys(OBJECTIVES).join(', ')}`);
  }
  const base = baseScore(lmp['base_score'], 'learner.learner_model_param.base_score');
  const baseMargin = spec.margin(Math.fround(base), 'XGBoost JSON: learner.learner_model_param.base_score');

  const gb = obj(learner['gradient_booster'], 'learner.gradient_booster');
  const boosterName = gb['name'];
  if (boosterName !== 'gbtree') {
    throw modelFileError(
      `XGBoost JSON: learner.gradient_booster.name: booster ${JSON.stringify(boosterName)} is not supported; only gbtree${boosterName === 'dart' ? ' (dart weights its trees at prediction time)' : ''}`,
    );
  }
  const model = obj(gb['model'], 'learner.gradient_booster.model');
  const treesPath = 'learner.gradient_booster.model.trees';
  const rawTrees = arr(model['trees'], treesPath);
  const treeInfo = model['tree_info'] === undefined ? undefined : numbers(model['tree_info'], 'learner.gradient_booster.model.tree_info', { integer: true });
  if (treeInfo && treeInfo.some((g) => g !== 0)) throw modelFileError(`XGBoost JSON: learner.gradient_booster.model.tree_info: trees for several output groups; multi-class models are not supported`);

  const names = learner['feature_names'];
  let featureNames: string[] | undefined;
  if (Array.isArray(names) && names.length > 0) {
    if (names.length !== cols || names.some((n) => typeof n !== 'string')) {
      throw modelFileError(`XGBoost JSON: learner.feature_names: expected ${cols} strings (num_feature), found ${names.length} entries`);
    }
    featureNames = names as string[];
  }
  const types = learner['feature_types'];
  if (Array.isArray(types)) {
    const c = types.indexOf('c');
    if (c >= 0) throw modelFileError(`XGBoost JSON: learner.feature_types[${c}]: categorical features are not supported`);
  }

  const trees = rawTrees.map((t, i) => readTree(t, `${treesPath}[${i}]`, cols));
  return {
    format: 'xgboost',
    objective: objName,
    transform: spec.transform,
    sigmoid: 1,
    base_margin: baseMargin,
    cols,
    ...(featureNames ? { feature_names: featureNames } : {}),
    trees,
  };
}

/** One tree: XGBoost numbers nodes with leaves mixed in (left child -1 = leaf; a leaf's value is its split_condition). */
function readTree(raw: Json, path: string, cols: number): TreeState {
  const t = obj(raw, path);
  const left = numbers(t['left_children'], `${path}.left_children`, { integer: true });
  const n = left.length;
  if (n === 0) throw modelFileError(`XGBoost JSON: ${path}.left_children: a tree needs at least one node`);
  const right = numbers(t['right_children'], `${path}.right_children`, { integer: true, length: n });
  const cond = numbers(t['split_conditions'], `${path}.split_conditions`, { length: n });
  const feat = numbers(t['split_indices'], `${path}.split_indices`, { integer: true, length: n });
  const dleft = numbers(t['default_left'], `${path}.default_left`, { integer: true, length: n });
  if (t['split_type'] !== undefined) {
    const st = numbers(t['split_type'], `${path}.split_type`, { integer: true, length: n });
    const c = st.findIndex((v, k) => v !== 0 && left[k] !== -1);
    if (c >= 0) throw modelFileError(`XGBoost JSON: ${path}.split_type[${c}]: categorical splits are not supported`);
  }
  // Renumber: split nodes 0..k-1 in visiting order, leaves as ~index.
  const splitIndex = new Int32Array(n).fill(-1);
  const leafIndex = new Int32Array(n).fill(-1);
  const order: number[] = [];
  const leaves: number[] = [];
  const seen = new Uint8Array(n);
  const queue = [0];
  seen[0] = 1;
  while (queue.length) {
    const id = queue.shift()!;
    if (left[id] === -1) {
      leafIndex[id] = leaves.length;
      leaves.push(id);
      continue;
    }
    splitIndex[id] = order.length;
    order.push(id);
    for (const [which, c] of [['left_children', left[id]!], ['right_children', right[id]!]] as const) {
      if (c < 0 || c >= n) throw modelFileError(`XGBoost JSON: ${path}.${which}[${id}]: child ${c} outside 0..${n - 1}`);
      if (seen[c]) throw modelFileError(`XGBoost JSON: ${path}.${which}[${id}]: node ${c} is reached twice (not a tree)`);
      seen[c] = 1;
      queue.push(c);
    }
  }
  const childOf = (id: number) => (left[id] === -1 ? ~leafIndex[id]! : splitIndex[id]!);
  const tree: TreeState = {
    split_feature: order.map((id) => feat[id]!),
    // As read (finite, so it survives JSON when the model is saved); the predictor rounds it to float32, where it may overflow to +-inf.
    threshold: order.map((id) => cond[id]!),
    decision: order.map((id) => (dleft[id] ? DEFAULT_LEFT_MASK : 0) | (MISSING_NAN << 2)),
    left: order.map((id) => childOf(left[id]!)),
    right: order.map((id) => childOf(right[id]!)),
    leaf_value: leaves.map((id) => Math.fround(cond[id]!)),
  };
  for (const id of order) {
    if (feat[id]! < 0 || feat[id]! >= cols) throw modelFileError(`XGBoost JSON: ${path}.split_indices[${id}]: feature ${feat[id]} outside 0..${cols - 1} (num_feature ${cols})`);
    if (!Number.isFinite(cond[id]!)) throw modelFileError(`XGBoost JSON: ${path}.split_conditions[${id}]: ${cond[id]} is not a finite threshold`);
  }
  const problem = checkTree(tree, cols);
  if (problem) throw modelFileError(`XGBoost JSON: ${path}: ${problem}`);
  return tree;
}
