import {
  canonicalJson,
  OnlineTool,
  RecorderCollector,
  recorderTest,
  taskGenerator,
  type ComponentSpec,
  type ExperimentStore,
  type Logger,
  type OnlineStrategy,
  type RecorderInfo,
  type TaskDef,
  type TaskGenerator,
} from '../../../core/index.js';
import type { RollingGen } from './rolling-gen.js';

export interface RollingStrategyOptions {
  name: string;
  templates: TaskDef[];
  rollingGen: TaskGenerator & Pick<RollingGen, 'genFollowingTasks'>;
  /** The generator's YAML spec, part of the strategy's identity. */
  rollingGenSpec: ComponentSpec;
  store: ExperimentStore;
  logger: Logger;
}

/**
 * Always serves the latest rolling models (Qlib's RollingStrategy): first
 * training trains every rolling window of the templates; each routine rolls
 * the latest online models forward to the routine date.
 */
export class RollingStrategy implements OnlineStrategy {
  readonly name: string;
  private readonly tool: OnlineTool;

  constructor(private readonly o: RollingStrategyOptions) {
    this.name = o.name;
    this.tool = new OnlineTool(o.store, o.name);
  }

  fingerprint(): string {
    return canonicalJson({ task_template: this.o.templates, rolling_gen: this.o.rollingGenSpec });
  }

  async firstTasks(): Promise<TaskDef[]> {
    return taskGenerator(this.o.templates, this.o.rollingGen);
  }

  async prepareTasks(curTime: string): Promise<TaskDef[]> {
    const latest = latestRecorders(await this.tool.onlineModels());
    if (!latest.length) {
      this.o.logger.warn(`strategy ${this.name}: no online models, so no new tasks`);
      return [];
    }
    const out: TaskDef[] = [];
    for (const rec of latest) {
      const task = await this.o.store.getArtifact<TaskDef>(rec.id, 'task');
      if (task) out.push(...this.o.rollingGen.genFollowingTasks(task, curTime));
    }
    return out;
  }

  async prepareOnlineModels(trained: RecorderInfo[], _curTime: string | null): Promise<RecorderInfo[]> {
    if (!trained.length) return this.tool.onlineModels();
    return trained;
  }

  /** Predictions of every finished model keyed by (model class, test window), for analysis (Qlib's get_collector). */
  getCollector(): RecorderCollector {
    return new RecorderCollector(this.o.store, this.name);
  }

  /** Rolling windows of one model class merge into one series. */
  groupKey(recorder: RecorderInfo): string {
    return String(recorder.params.model_class ?? 'model');
  }
}

/** The recorders whose test segment is the latest (by start, then end; open end last). */
export function latestRecorders(recs: RecorderInfo[]): RecorderInfo[] {
  if (!recs.length) return [];
  const key = (r: RecorderInfo): string => {
    const t = recorderTest(r);
    return `${t.start}|${t.end ?? '9999-99-99'}`;
  };
  const max = recs.map(key).sort().pop()!;
  return recs.filter((r) => key(r) === max);
}
