import path from 'node:path';
import { ROOT } from './cli.js';

/** The test-only model plugin whose fit blocks its thread for `sleep_ms` (CPU-bound training, as far as the event loop can tell). */
export const SLOW_MODEL = path.join(ROOT, 'test/fixtures/pool/slow-model.js');

export interface SlowPoolOptions {
  manager: string;
  /** YAML of the store. */
  store: string;
  trainer?: string;
  trainerKwargs: string;
  modelKwargs: string;
  /** Test segment (its length over the rolling step decides the task count). */
  test?: [string, string];
  step?: number;
  features?: string;
}

/** A pool config of one rolling strategy over the slow model (`plugins: [./slow-model.js]`: copy SLOW_MODEL next to the file). */
export function slowPoolYaml(o: SlowPoolOptions): string {
  const [testStart, testEnd] = o.test ?? ['2020-12-01', '2020-12-31'];
  return `plugins: [./slow-model.js]
data: {class: SyntheticMarket, kwargs: {instruments: 10, start: 2019-01-01, end: 2020-12-31}}
store: ${o.store}
manager:
  name: ${o.manager}
  trainer: {class: ${o.trainer ?? 'TrainerRM'}, kwargs: ${o.trainerKwargs}}
strategies:
  - class: RollingStrategy
    kwargs:
      name: slow
      rolling_gen: {class: RollingGen, kwargs: {step: ${o.step ?? 40}}}
      task_template:
        model: {class: SlowModel, kwargs: ${o.modelKwargs}}
        dataset:
          class: DatasetH
          kwargs:
            handler:
              class: ExprHandler
              kwargs:
                instruments: all
                start_time: 2019-01-01
                features: ${o.features ?? '{RET1: "$close/Ref($close, 1) - 1"}'}
            segments:
              train: [2019-01-01, 2019-12-31]
              test: [${testStart}, ${testEnd}]
steps: [first_train]
`;
}
