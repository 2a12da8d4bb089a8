import { alpha158Fields } from './plugins/data-qlib/src/alpha/alpha158.js';
import { evaluateAll, parseExpressionWith, windowExtent } from './plugins/data-qlib/src/expr/index.js';
const exprs = [...alpha158Fields().fields, 'Ref($close, -2)/Ref($close, -1) - 1'];
const nodes = exprs.map((e) => parseExpressionWith(e, { mode: 'default' }));
const ext = nodes.map((n) => windowExtent(n));
const L = 1000;
const f = (seed: number) => Float32Array.from({ length: L }, (_, i) => 10 + Math.sin(i * 0.1 + seed) + i * 0.001);
const fields = new Map(['open', 'high', 'low', 'close', 'volume', 'vwap'].map((n, i) => [n, f(i)]));
const from = L - 1;
function single() {
  let s0 = L;
  for (const e of ext) s0 = Math.min(s0, Math.max(0, from - e.forward - e.back));
  return evaluateAll(nodes, { length: L - s0, field: (n) => fields.get(n)!.subarray(s0) });
}
function grouped() {
  const groups = new Map<number, number[]>();
  ext.forEach((e, j) => { const s0 = Math.max(0, from - e.forward - e.back); (groups.get(s0) ?? groups.set(s0, []).get(s0)!).push(j); });
  for (const [s0, m] of groups) evaluateAll(m.map((j) => nodes[j]!), { length: L - s0, field: (n) => fields.get(n)!.subarray(s0) });
  return groups.size;
}
for (let r = 0; r < 4; r++) {
  for (const [name, fn] of [['single', single], ['grouped', grouped]] as const) {
    const t = process.cpuUsage();
    let g = 0;
    for (let i = 0; i < 300; i++) g = fn() as number;
    const c = process.cpuUsage(t);
    console.log(name, ((c.user + c.system) / 1000).toFixed(0), 'ms', typeof g === 'number' ? `${g} groups` : '');
  }
}
