import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import {
  ALPHA158_DEFAULTS,
  ALPHA360_DEFAULTS,
  alpha158Fields,
  alpha360Fields,
} from '../../../../../plugins/data-qlib/src/alpha/index.js';
import { createProcessor } from '../../../../../plugins/data-qlib/src/processors/index.js';

/** Both sets as Qlib's loader.py builds them (test/fixtures/data-qlib-alpha/gen_qlib_alpha_fields.py). */
const qlib = JSON.parse(
  readFileSync(new URL('../../../../fixtures/data-qlib-alpha/qlib-alpha-fields.json', import.meta.url), 'utf8'),
) as Record<'alpha158' | 'alpha360', { fields: string[]; names: string[] }>;

/** name -> expression, for spot checks. */
function byName(set: { fields: string[]; names: string[] }): Map<string, string> {
  return new Map(set.names.map((n, i) => [n, set.fields[i]!]));
}

describe('Alpha158', () => {
  const set = alpha158Fields();
  const expr = byName(set);

  it("has Qlib's 158 unique names, in Qlib's order", () => {
    expect(set.fields).toHaveLength(158);
    expect(set.names).toHaveLength(158);
    expect(new Set(set.names).size).toBe(158);
    expect(set.names.slice(0, 14)).toEqual([
      'KMID', 'KLEN', 'KMID2', 'KUP', 'KUP2', 'KLOW', 'KLOW2', 'KSFT', 'KSFT2',
      'OPEN0', 'HIGH0', 'LOW0', 'VWAP0', 'ROC5',
    ]);
    expect(set.names.slice(-5)).toEqual(['VSUMD5', 'VSUMD10', 'VSUMD20', 'VSUMD30', 'VSUMD60']);
    const families = [...new Set(set.names.slice(13).map((n) => n.replace(/\d+$/, '')))];
    expect(families).toEqual([
      'ROC', 'MA', 'STD', 'BETA', 'RSQR', 'RESI', 'MAX', 'MIN', 'QTLU', 'QTLD', 'RANK', 'RSV', 'IMAX', 'IMIN', 'IMXD',
      'CORR', 'CORD', 'CNTP', 'CNTN', 'CNTD', 'SUMP', 'SUMN', 'SUMD', 'VMA', 'VSTD', 'WVMA', 'VSUMP', 'VSUMN', 'VSUMD',
    ]);
  });

  it('spells the expressions exactly as loader.py', () => {
    expect(expr.get('KMID')).toBe('($close-$open)/$open');
    expect(expr.get('KUP2')).toBe('($high-Greater($open, $close))/($high-$low+1e-12)');
    expect(expr.get('KSFT2')).toBe('(2*$close-$high-$low)/($high-$low+1e-12)');
    expect(expr.get('OPEN0')).toBe('$open/$close');
    expect(expr.get('VWAP0')).toBe('$vwap/$close');
    expect(expr.get('ROC5')).toBe('Ref($close, 5)/$close');
    expect(expr.get('BETA20')).toBe('Slope($close, 20)/$close');
    expect(expr.get('RSQR10')).toBe('Rsquare($close, 10)');
    expect(expr.get('MIN30')).toBe('Min($low, 30)/$close');
    expect(expr.get('QTLU60')).toBe('Quantile($close, 60, 0.8)/$close');
    expect(expr.get('RSV5')).toBe('($close-Min($low, 5))/(Max($high, 5)-Min($low, 5)+1e-12)');
    expect(expr.get('IMXD10')).toBe('(IdxMax($high, 10)-IdxMin($low, 10))/10');
    expect(expr.get('CORR20')).toBe('Corr($close, Log($volume+1), 20)');
    expect(expr.get('CORD30')).toBe('Corr($close/Ref($close,1), Log($volume/Ref($volume, 1)+1), 30)');
    expect(expr.get('CNTD60')).toBe('Mean($close>Ref($close, 1), 60)-Mean($close<Ref($close, 1), 60)');
    expect(expr.get('SUMD5')).toBe(
      '(Sum(Greater($close-Ref($close, 1), 0), 5)-Sum(Greater(Ref($close, 1)-$close, 0), 5))/(Sum(Abs($close-Ref($close, 1)), 5)+1e-12)',
    );
    expect(expr.get('WVMA5')).toBe('Std(Abs($close/Ref($close, 1)-1)*$volume, 5)/(Mean(Abs($close/Ref($close, 1)-1)*$volume, 5)+1e-12)');
    expect(expr.get('VSUMN60')).toBe('Sum(Greater(Ref($volume, 1)-$volume, 0), 60)/(Sum(Abs($volume-Ref($volume, 1)), 60)+1e-12)');
  });

  it("equals the whole list that Qlib's own get_feature_config returns", () => {
    expect(set).toEqual(qlib.alpha158);
  });

  it('follows a custom config like get_feature_config', () => {
    const custom = alpha158Fields({
      price: { windows: [0, 1], feature: ['CLOSE'] },
      volume: { windows: [0, 2] },
      rolling: { windows: [3], include: ['MA', 'LOW', 'RANK'], exclude: ['RANK'] },
    });
    expect(custom.names).toEqual(['CLOSE0', 'CLOSE1', 'VOLUME0', 'VOLUME2', 'MA3', 'MIN3']);
    expect(custom.fields).toEqual([
      '$close/$close',
      'Ref($close, 1)/$close',
      '$volume/($volume+1e-12)',
      'Ref($volume, 2)/($volume+1e-12)',
      'Mean($close, 3)/$close',
      'Min($low, 3)/$close',
    ]);
    expect(alpha158Fields({ price: {} }).names).toEqual([
      ...[0, 1, 2, 3, 4].map((d) => `OPEN${d}`),
      ...[0, 1, 2, 3, 4].map((d) => `HIGH${d}`),
      ...[0, 1, 2, 3, 4].map((d) => `LOW${d}`),
      ...[0, 1, 2, 3, 4].map((d) => `CLOSE${d}`),
      ...[0, 1, 2, 3, 4].map((d) => `VWAP${d}`),
    ]);
  });

  it("has Qlib's default label and processors", () => {
    expect(ALPHA158_DEFAULTS.label).toEqual({ fields: ['Ref($close, -2)/Ref($close, -1) - 1'], names: ['LABEL0'] });
    expect(ALPHA158_DEFAULTS.inferProcessors).toEqual([]);
    expect(ALPHA158_DEFAULTS.learnProcessors).toEqual([{ class: 'DropnaLabel' }, { class: 'CSZScoreNorm', kwargs: { fields_group: 'label' } }]);
    expect(ALPHA158_DEFAULTS.processType).toBe('append');
    expect(Object.isFrozen(ALPHA158_DEFAULTS.learnProcessors[1]!.kwargs)).toBe(true);
  });
});

describe('Alpha360', () => {
  const set = alpha360Fields();
  const expr = byName(set);

  it("has Qlib's 360 names in order", () => {
    expect(set.fields).toHaveLength(360);
    expect(new Set(set.names).size).toBe(360);
    expect(set.names.slice(0, 3)).toEqual(['CLOSE59', 'CLOSE58', 'CLOSE57']);
    expect(set.names.slice(58, 62)).toEqual(['CLOSE1', 'CLOSE0', 'OPEN59', 'OPEN58']);
    expect(set.names.slice(-2)).toEqual(['VOLUME1', 'VOLUME0']);
    expect([...new Set(set.names.map((n) => n.replace(/\d+$/, '')))]).toEqual(['CLOSE', 'OPEN', 'HIGH', 'LOW', 'VWAP', 'VOLUME']);
  });

  it('spells the expressions exactly as loader.py', () => {
    expect(expr.get('CLOSE59')).toBe('Ref($close, 59)/$close');
    expect(expr.get('CLOSE0')).toBe('$close/$close');
    expect(expr.get('HIGH7')).toBe('Ref($high, 7)/$close');
    expect(expr.get('VWAP0')).toBe('$vwap/$close');
    expect(expr.get('VOLUME12')).toBe('Ref($volume, 12)/($volume+1e-12)');
    expect(expr.get('VOLUME0')).toBe('$volume/($volume+1e-12)');
  });

  it("equals the whole list that Qlib's own get_feature_config returns", () => {
    expect(set).toEqual(qlib.alpha360);
  });

  it("has Qlib's default processors, all buildable", () => {
    expect(ALPHA360_DEFAULTS.inferProcessors.map((p) => p.class)).toEqual(['ProcessInf', 'ZScoreNorm', 'Fillna']);
    expect(ALPHA360_DEFAULTS.learnProcessors.map((p) => p.class)).toEqual(['DropnaLabel', 'CSZScoreNorm']);
    for (const p of [...ALPHA360_DEFAULTS.inferProcessors, ...ALPHA360_DEFAULTS.learnProcessors]) {
      expect(createProcessor(p.class, p.kwargs ?? {}).name).toBe(p.class);
    }
  });
});
