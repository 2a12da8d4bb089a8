import { describe, expect, it } from 'vitest';
import { isQonlineError } from '../../../../../core/index.js';
import {
  createProcessor,
  PROCESSOR_NAMES,
  PROCESSOR_SCHEMAS,
  withFitWindow,
} from '../../../../../plugins/data-qlib/src/processors/index.js';

function thrown(fn: () => unknown): unknown {
  try {
    fn();
  } catch (e) {
    return e;
  }
  throw new Error('expected a throw');
}

describe('processor registry', () => {
  it('builds every processor under its Qlib class name with Qlib forInfer defaults', () => {
    const forInfer = Object.fromEntries(PROCESSOR_NAMES.map((n) => [n, createProcessor(n, {}).forInfer]));
    expect(forInfer).toMatchObject({
      RobustZScoreNorm: true,
      ZScoreNorm: true,
      MinMaxNorm: true,
      Fillna: true,
      DropnaLabel: false,
      DropnaFeature: true,
      CSRankNorm: true,
      CSZScoreNorm: true,
      ProcessInf: true,
      FilterCol: true,
    });
    for (const n of PROCESSOR_NAMES) expect(createProcessor(n, {}).name).toBe(n);
  });

  it('gives every option of every schema a description', () => {
    expect(Object.keys(PROCESSOR_SCHEMAS).sort()).toEqual([...PROCESSOR_NAMES].sort());
    for (const [name, schema] of Object.entries(PROCESSOR_SCHEMAS)) {
      const props = (schema as { properties: Record<string, { description?: string }> }).properties;
      for (const [opt, s] of Object.entries(props)) expect(s.description, `${name}.${opt}`).toBeTruthy();
    }
  });

  it('names the closest processor for a misspelt class', () => {
    const e = thrown(() => createProcessor('RobustZscoreNorm', {}));
    expect(isQonlineError(e) && e.code).toBe('QONLINE_UNKNOWN_CLASS');
    expect((e as Error).message).toMatch(/did you mean "RobustZScoreNorm"/);
  });

  it('reports every invalid kwarg', () => {
    const e = thrown(() => createProcessor('CSZScoreNorm', { method: 'mean', fields_group: 'features', extra: 1 }));
    expect(isQonlineError(e) && e.code).toBe('QONLINE_CONFIG_INVALID');
    const details = (e as { details: string[] }).details.join('\n');
    expect(details).toMatch(/\/method: CSZScoreNorm: expected one of "zscore", "robust"/);
    expect(details).toMatch(/\/fields_group/);
    expect(details).toMatch(/\/extra: CSZScoreNorm: unknown property "extra"/);
    expect(() => createProcessor('RobustZScoreNorm', { fit_start_time: '20080101' })).toThrow(/fit_start_time: RobustZScoreNorm: (expected a real calendar date YYYY-MM-DD|does not match any allowed form)/);
    expect(() => createProcessor('CSZScoreNorm', { fields_group: ['feature', 'label'], method: 'robust' })).not.toThrow();
  });

  it('withFitWindow sets the handler window on fitted processors only, as check_transform_proc', () => {
    const specs = withFitWindow(
      ['Fillna', { class: 'RobustZScoreNorm', kwargs: { clip_outlier: false, fit_start_time: '2000-01-01' } }],
      '2008-01-01',
      '2014-12-31',
    );
    expect(specs).toEqual([
      { class: 'Fillna' },
      { class: 'RobustZScoreNorm', kwargs: { clip_outlier: false, fit_start_time: '2008-01-01', fit_end_time: '2014-12-31' } },
    ]);
    expect(() => withFitWindow([{ class: 'ZScoreNorm' }], null, '2014-12-31')).toThrow(/needs a fit window/);
    expect(withFitWindow([{ class: 'CSRankNorm' }], null, null)).toEqual([{ class: 'CSRankNorm' }]);
  });
});
