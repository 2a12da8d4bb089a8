/**
 * A deliberately naive GBDT for tests: exact gradient sums recomputed from the
 * rows at every candidate, thresholds halfway between distinct values, both
 * missing-value directions, leaf-wise growth. Independent of the plugin's
 * histogram code; matches it when every feature has at most max_bin
 * distinct values (each distinct value is then its own bin).
 */
export interface NaiveParams {
  rounds: number;
  numLeaves: number;
  maxDepth: number;
  minData: number;
  minHess: number;
  l1: number;
  l2: number;
  lr: number;
}

interface Leaf {
  rows: number[];
  depth: number;
  best?: { gain: number; f: number; thr: number; nanLeft: boolean };
}

interface Node {
  f: number;
  thr: number;
  nanLeft: boolean;
  left: Node | number;
  right: Node | number;
}

function score(g: number, h: number, p: NaiveParams): number {
  const a = Math.abs(g) - p.l1;
  return a > 0 ? (a * a) / (h + p.l2) : 0;
}

function output(g: number, h: number, p: NaiveParams): number {
  const a = Math.abs(g) - p.l1;
  return a > 0 ? (-Math.sign(g) * a) / (h + p.l2) : 0;
}

export function naiveGbdt(X: number[][], y: number[], p: NaiveParams): (row: number[]) => number {
  const n = y.length;
  const cols = X[0]!.length;
  const init = y.reduce((a, b) => a + b, 0) / n;
  const pred = new Array<number>(n).fill(init);
  const trees: { root: Node | number; values: number[] }[] = [];
  for (let round = 0; round < p.rounds; round++) {
    const g = pred.map((s, i) => s - y[i]!);
    const sum = (rows: number[]) => rows.reduce((a, r) => a + g[r]!, 0);
    const findBest = (leaf: Leaf) => {
      const G = sum(leaf.rows);
      const H = leaf.rows.length;
      const parent = score(G, H, p);
      let best: Leaf['best'];
      for (let f = 0; f < cols; f++) {
        const nan = leaf.rows.filter((r) => Number.isNaN(X[r]![f]!));
        const values = [...new Set(leaf.rows.map((r) => X[r]![f]!).filter((v) => !Number.isNaN(v)))].sort((a, b) => a - b);
        for (const nanLeft of nan.length ? [false, true] : [false]) {
          for (let i = 0; i < values.length - 1 + (nanLeft ? 0 : 1); i++) {
            const thr = i < values.length - 1 ? (values[i]! + values[i + 1]!) / 2 : Infinity;
            const left = leaf.rows.filter((r) => (Number.isNaN(X[r]![f]!) ? nanLeft : X[r]![f]! <= thr));
            const right = leaf.rows.filter((r) => !left.includes(r));
            if (left.length < Math.max(p.minData, 1) || right.length < Math.max(p.minData, 1)) continue;
            if (left.length < p.minHess || right.length < p.minHess) continue;
            const gain = score(sum(left), left.length, p) + score(sum(right), right.length, p) - parent;
            if (gain > 0 && (!best || gain > best.gain)) best = { gain, f, thr, nanLeft };
          }
        }
      }
      // Without missing values in this leaf, future ones follow the larger side.
      if (best && !leaf.rows.some((r) => Number.isNaN(X[r]![best!.f]!))) {
        const nl = leaf.rows.filter((r) => X[r]![best!.f]! <= best!.thr).length;
        best.nanLeft = nl >= leaf.rows.length - nl;
      }
      leaf.best = best;
    };
    const leaves: Leaf[] = [{ rows: [...Array(n).keys()], depth: 0 }];
    const parentOf = new Map<Leaf, { node: Node; side: 'left' | 'right' } | null>([[leaves[0]!, null]]);
    let root: Node | Leaf = leaves[0]!;
    const canSplit = (l: Leaf) => (p.maxDepth <= 0 || l.depth < p.maxDepth) && l.rows.length >= 2 * Math.max(p.minData, 1);
    if (canSplit(leaves[0]!)) findBest(leaves[0]!);
    while (leaves.length < p.numLeaves) {
      let pick: Leaf | undefined;
      for (const l of leaves) if (l.best && (!pick || l.best.gain > pick.best!.gain)) pick = l;
      if (!pick) break;
      const b = pick.best!;
      const leftRows = pick.rows.filter((r) => (Number.isNaN(X[r]![b.f]!) ? b.nanLeft : X[r]![b.f]! <= b.thr));
      const rightRows = pick.rows.filter((r) => !leftRows.includes(r));
      const L: Leaf = { rows: leftRows, depth: pick.depth + 1 };
      const R: Leaf = { rows: rightRows, depth: pick.depth + 1 };
      const node: Node = { f: b.f, thr: b.thr, nanLeft: b.nanLeft, left: -1, right: -1 };
      const link = parentOf.get(pick)!;
      if (link) (link.node as unknown as Record<string, unknown>)[link.side] = node;
      else root = node;
      parentOf.set(L, { node, side: 'left' });
      parentOf.set(R, { node, side: 'right' });
      (node as unknown as Record<string, unknown>)['left'] = L;
      (node as unknown as Record<string, unknown>)['right'] = R;
      leaves.splice(leaves.indexOf(pick), 1, L, R);
      const full = leaves.length >= p.numLeaves;
      for (const c of [L, R]) if (!full && canSplit(c)) findBest(c);
    }
    if (leaves.length === 1) break;
    const values = leaves.map((l) => output(sum(l.rows), l.rows.length, p) * p.lr);
    const toIndex = (x: Node | Leaf): Node | number => ('rows' in x ? leaves.indexOf(x) : { ...x, left: toIndex(x.left as Node | Leaf), right: toIndex(x.right as Node | Leaf) });
    const tree = { root: toIndex(root), values };
    trees.push(tree);
    for (let r = 0; r < n; r++) pred[r]! += tree.values[walk(tree.root, X[r]!)]!;
  }
  return (row) => trees.reduce((acc, t) => acc + t.values[walk(t.root, row)]!, init);
}

function walk(node: Node | number, row: number[]): number {
  let cur = node;
  while (typeof cur !== 'number') {
    const x = row[cur.f]!;
    cur = (Number.isNaN(x) ? cur.nanLeft : x <= cur.thr) ? cur.left : cur.right;
  }
  return cur;
}
