import { describe, expect, it } from 'vitest';
import { parseConfigText } from '../../../core/config/load.js';
import { validateConfig } from '../../../core/config/validate.js';
import { ComponentRegistry } from '../../../core/kernel/registry.js';
import { SchemaValidator } from '../../../core/kernel/validator.js';
import { builtinPluginEntries } from '../../../plugins/builtins.js';

const registry = new ComponentRegistry();
registry.registerAll(builtinPluginEntries());

function check(text: string): void {
  validateConfig(parseConfigText(text, '/tmp/x.yaml'), registry, new SchemaValidator());
}

const BODY = `manager: {name: m}
strategies:
  - class: RollingStrategy
    kwargs:
      name: s
      rolling_gen: {class: RollingGen, kwargs: {step: 60}}
      task_template:
        model: *model
        dataset:
          class: DatasetH
          module_path: qlib.data.dataset
          kwargs:
            handler: {class: Alpha158, module_path: qlib.contrib.data.handler, kwargs: {instruments: all, start_time: 2019-01-01}}
            segments: {train: [2019-01-01, 2019-06-30], valid: [2019-07-01, 2019-09-30], test: [2019-10-01, 2019-12-31]}
        record:
          - {class: SignalRecord, module_path: qlib.workflow.record_temp, kwargs: {model: <MODEL>, dataset: <DATASET>}}
          - {class: SigAnaRecord, module_path: qlib.workflow.record_temp, kwargs: {ana_long_short: false, ann_scaler: 252}}
`;

describe('x- keys and pasted Qlib task blocks in our own config', () => {
  it('ignores top-level x- keys, so anchors can live there', () => {
    expect(() => check(`x-model: &model {class: LGBModel, module_path: qlib.contrib.model.gbdt, kwargs: {loss: mse, eta: 0.1}}\n${BODY}`)).not.toThrow();
  });
  it("takes a handler's label in Qlib's forms and an empty infer_processors", () => {
    const qlibForms = BODY.replace('kwargs: {instruments: all, start_time: 2019-01-01}', 'kwargs: {instruments: all, start_time: 2019-01-01, infer_processors: [], label: [["Ref($close, -2)/Ref($close, -1) - 1"], ["LABEL0"]]}');
    expect(qlibForms).not.toBe(BODY);
    expect(() => check(`x-model: &model {class: LinearModel}\n${qlibForms}`)).not.toThrow();
    const list = BODY.replace('kwargs: {instruments: all, start_time: 2019-01-01}', 'kwargs: {instruments: all, start_time: 2019-01-01, label: ["Ref($close, -2)/Ref($close, -1) - 1"]}');
    expect(() => check(`x-model: &model {class: LinearModel}\n${list}`)).not.toThrow();
    const bad = BODY.replace('kwargs: {instruments: all, start_time: 2019-01-01}', 'kwargs: {instruments: all, start_time: 2019-01-01, label: 3}');
    expect(() => check(`x-model: &model {class: LinearModel}\n${bad}`)).toThrow(/Alpha158: does not match any allowed/);
  });

  it('still refuses other unknown top-level keys', () => {
    expect(() => check(`model: &model {class: LGBModel, module_path: qlib.contrib.model.gbdt}\n${BODY}`)).toThrow(/model/);
  });
});
