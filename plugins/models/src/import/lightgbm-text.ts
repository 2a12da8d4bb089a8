import { checkTree, type ForestState, type TreeState } from './forest.js';
import { modelFileError } from './model-file-error.js';

/**
 * Reads LightGBM's `Booster.save_model("m.txt")` text format: a header of
 * key=value lines, one `Tree=N` block per tree, then `end of trees`
 * (feature importances and parameters after it are ignored). Every problem
 * names the line where it was found.
 */

interface Line {
  no: number;
  key: string;
  value: string;
}

function fail(no: number, message: string): never {
  throw modelFileError(`LightGBM text, line ${no}: ${message}`);
}

function parseNumber(text: string): number {
  const t = text.toLowerCase();
  if (t === 'inf' || t === '+inf' || t === 'infinity') return Infinity;
  if (t === '-inf' || t === '-infinity') return -Infinity;
  return text === '' ? NaN : Number(text);
}

function numberList(line: Line, opts: { integer?: boolean; length?: number; finite?: boolean } = {}): number[] {
  const parts = line.value.trim() === '' ? [] : line.value.trim().split(/\s+/);
  if (opts.length !== undefined && parts.length !== opts.length) fail(line.no, `${line.key} has ${parts.length} values, expected ${opts.length}`);
  return parts.map((p, i) => {
    const n = parseNumber(p);
    if (Number.isNaN(n) || (opts.integer && !Number.isInteger(n)) || (opts.finite && !Number.isFinite(n))) {
      fail(line.no, `${line.key} value ${i + 1} is ${JSON.stringify(p)}, expected ${opts.integer ? 'an integer' : 'a number'}`);
    }
    return n;
  });
}

const OBJECTIVES: Record<string, ForestState['transform']> = {
  regression: 'identity',
  regression_l2: 'identity',
  regression_l1: 'identity',
  huber: 'identity',
  binary: 'sigmoid',
};

export function readLightgbmText(text: string): ForestState {
  if (typeof text !== 'string') throw modelFileError(`LightGBM text: expected the model file's text, found ${typeof text}`);
  const lines = text.split(/\r?\n/);
  const header = new Map<string, Line>();
  const blocks: { no: number; index: string; fields: Map<string, Line> }[] = [];
  let current: Map<string, Line> | null = null;
  let ended = false;
  for (let i = 0; i < lines.length && !ended; i++) {
    const no = i + 1;
    const raw = lines[i]!.trim();
    if (raw === '') {
      current = null;
      continue;
    }
    if (raw === 'end of trees') {
      ended = true;
      break;
    }
    const eq = raw.indexOf('=');
    if (eq < 0) {
      if (i === 0 && raw === 'tree') continue;
      if (!current && raw === 'average_output') fail(no, 'average_output: random-forest (rf) models are not supported');
      if (!current && blocks.length === 0) {
        header.set(raw, { no, key: raw, value: '' });
        continue;
      }
      fail(no, `expected key=value${blocks.length ? ' or "end of trees"' : ''}, found ${JSON.stringify(raw.slice(0, 80))}`);
    }
    const key = raw.slice(0, eq);
    const value = raw.slice(eq + 1);
    if (key === 'Tree') {
      current = new Map();
      blocks.push({ no, index: value, fields: current });
      continue;
    }
    const target = current ?? (blocks.length === 0 ? header : null);
    if (!target) fail(no, `${key}= outside a Tree= block`);
    if (target.has(key)) fail(no, `${key} given twice (first on line ${target.get(key)!.no})`);
    target.set(key, { no, key, value });
  }
  if (lines[0]?.trim() !== 'tree') fail(1, `expected the first line "tree" of a LightGBM model file, found ${JSON.stringify((lines[0] ?? '').slice(0, 80))}`);
  if (!ended) fail(lines.length, 'no "end of trees" line: the file is truncated or not a LightGBM model');

  const need = (m: Map<string, Line>, key: string, where: number, what: string): Line => {
    const l = m.get(key);
    if (!l) fail(where, `${what} has no ${key}= line`);
    return l;
  };
  const intOf = (l: Line): number => {
    const n = Number(l.value.trim());
    if (l.value.trim() === '' || !Number.isInteger(n)) fail(l.no, `${l.key} is ${JSON.stringify(l.value)}, expected an integer`);
    return n;
  };

  for (const [key, what] of [
    ['num_class', 'multi-class models'],
    ['num_tree_per_iteration', 'several trees per iteration (multi-class)'],
  ] as const) {
    const l = header.get(key);
    if (l && intOf(l) !== 1) fail(l.no, `${key}=${l.value}: ${what} are not supported`);
  }
  const maxIdx = intOf(need(header, 'max_feature_idx', 1, 'the header'));
  const cols = maxIdx + 1;
  if (cols < 1) fail(header.get('max_feature_idx')!.no, `max_feature_idx=${maxIdx}: at least one feature is needed`);
  const objLine = need(header, 'objective', 1, 'the header (a custom objective cannot be imported)');
  const [objName = '', ...objArgs] = objLine.value.trim().split(/\s+/);
  const transform = OBJECTIVES[objName];
  if (!transform) fail(objLine.no, `objective ${JSON.stringify(objName)} is not supported; supported: ${Object.keys(OBJECTIVES).join(', ')}`);
  let sigmoid = 1;
  for (const arg of objArgs) {
    const [k, v] = arg.split(':');
    if (k === 'sigmoid' && objName === 'binary') {
      sigmoid = Number(v);
      if (!(sigmoid > 0)) fail(objLine.no, `sigmoid:${v} must be a positive number`);
    } else if (k === 'sqrt') {
      fail(objLine.no, `objective option "sqrt" (reg_sqrt) is not supported`);
    }
  }
  let featureNames: string[] | undefined;
  const namesLine = header.get('feature_names');
  if (namesLine) {
    featureNames = namesLine.value.trim().split(/\s+/);
    if (featureNames.length !== cols) fail(namesLine.no, `feature_names has ${featureNames.length} names, but max_feature_idx=${maxIdx} means ${cols} features`);
  }

  const trees = blocks.map((b) => readTree(b, cols, need, intOf));
  return {
    format: 'lightgbm',
    objective: objLine.value.trim(),
    transform,
    sigmoid,
    base_margin: 0,
    cols,
    ...(featureNames ? { feature_names: featureNames } : {}),
    trees,
  };
}

function readTree(
  b: { no: number; index: string; fields: Map<string, Line> },
  cols: number,
  need: (m: Map<string, Line>, key: string, where: number, what: string) => Line,
  intOf: (l: Line) => number,
): TreeState {
  const what = `Tree=${b.index}`;
  const f = b.fields;
  const linear = f.get('is_linear');
  if (linear && intOf(linear) !== 0) fail(linear.no, `${what}: linear trees (linear_tree=true) are not supported`);
  const leavesLine = need(f, 'num_leaves', b.no, what);
  const numLeaves = intOf(leavesLine);
  if (numLeaves < 1) fail(leavesLine.no, `num_leaves=${numLeaves}`);
  const leafValue = numberList(need(f, 'leaf_value', b.no, what), { length: numLeaves, finite: true });
  const splits = numLeaves - 1;
  if (splits === 0) return { split_feature: [], threshold: [], decision: [], left: [], right: [], leaf_value: leafValue };
  const list = (key: string, integer: boolean) => numberList(need(f, key, b.no, what), { length: splits, integer });
  const splitFeature = list('split_feature', true);
  const threshold = list('threshold', false);
  const decision = list('decision_type', true);
  const left = list('left_child', true);
  const right = list('right_child', true);
  const tree: TreeState = { split_feature: splitFeature, threshold, decision, left, right, leaf_value: leafValue };
  const numCat = f.get('num_cat');
  if (numCat && intOf(numCat) > 0) {
    const cats = intOf(numCat);
    tree.cat_boundaries = numberList(need(f, 'cat_boundaries', b.no, what), { length: cats + 1, integer: true });
    tree.cat_threshold = numberList(need(f, 'cat_threshold', b.no, what), { integer: true });
    const bad = tree.cat_threshold.findIndex((w) => w < 0 || w > 0xffffffff);
    if (bad >= 0) fail(f.get('cat_threshold')!.no, `cat_threshold value ${bad + 1} is not a 32-bit word`);
  }
  // Point each structural problem at the line it comes from.
  for (let k = 0; k < splits; k++) {
    if (splitFeature[k]! < 0 || splitFeature[k]! >= cols) fail(f.get('split_feature')!.no, `${what}: node ${k} splits on feature ${splitFeature[k]}, outside 0..${cols - 1} (max_feature_idx)`);
    if (decision[k]! < 0 || decision[k]! > 15) fail(f.get('decision_type')!.no, `${what}: node ${k} has decision_type ${decision[k]}`);
    if ((decision[k]! & 1) && !tree.cat_boundaries) fail(f.get('decision_type')!.no, `${what}: node ${k} is categorical but the tree has no cat_boundaries (num_cat=0)`);
    if (((decision[k]! >> 2) & 3) === 3) fail(f.get('decision_type')!.no, `${what}: node ${k} has missing type 3 (only None, Zero, NaN exist)`);
  }
  const problem = checkTree(tree, cols);
  if (problem) {
    const at = /child/.test(problem) || /reached twice/.test(problem) ? (f.get('left_child')?.no ?? b.no) : /categor/.test(problem) ? (f.get('cat_boundaries')?.no ?? b.no) : b.no;
    fail(at, `${what}: ${problem}`);
  }
  return tree;
}
