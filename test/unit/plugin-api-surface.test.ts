import { describe, expect, it } from 'vitest';
import * as api from '../../core/index.js';

/**
 * The value exports of `qonline/plugin-api` (core/index.ts), pinned: a
 * change here is a change of the plugin API (bump PLUGIN_API_VERSION when it
 * breaks plugins, and list it in docs/plugins.md).
 */
const PLUGIN_API_EXPORTS = [
  'COMPONENT_KINDS',
  'Calendar',
  'ERROR_CODES',
  'ONLINE_TAG',
  'OnlineTool',
  'PERIODS_PER_YEAR',
  'PLUGIN_API_VERSION',
  'POOL_TASK_STATUSES',
  'QonlineError',
  'RecorderCollector',
  'S',
  'SUPPORTED_PLUGIN_API_VERSIONS',
  'SqlExperimentStore',
  'SqlTaskPool',
  'SqlTaskPools',
  'TASK_POOL_CHANNEL',
  'TOKENS',
  'TaskRunner',
  'TimeAdjuster',
  'UNDONE_STATUSES',
  'autoThreads',
  'canonicalJson',
  'chunkRows',
  'closestMatches',
  'createToken',
  'dailyIc',
  'defineComponent',
  'definePlugin',
  'editDistance',
  'emptyTaskStat',
  'experimentMigrations',
  'featureCacheShare',
  'firstLabel',
  'formatLocation',
  'frameScores',
  'idleCores',
  'inFeatureCacheShare',
  'isIsoDate',
  'isLeaseLost',
  'isPoolTrainer',
  'isQonlineError',
  'isTaskPoolHost',
  'keepLeaseAlive',
  'leaseLostError',
  'machineLoad',
  'migrate',
  'migrateSqlStore',
  'migrationTable',
  'onConflictClause',
  'optionalDep',
  'pearson',
  'placeholders',
  'plainJsonCopy',
  'questionMarkTuples',
  'ranks',
  'recorderParams',
  'recorderTest',
  'registerMigrations',
  'riskAnalysis',
  'riskScaler',
  'rollingConcat',
  'runPoolTask',
  'sampledMachineLoad',
  'standaloneComponents',
  'stateConflict',
  'taskGenerator',
  'taskHash',
  'testSegmentOf',
  'toMatrix',
  'workerName',
  'wrapComponentError',
];

describe('qonline/plugin-api surface', () => {
  it('exports exactly the pinned names (no engine internals such as the OnlineManager or the Kernel)', () => {
    expect(Object.keys(api).sort()).toEqual([...PLUGIN_API_EXPORTS].sort());
    for (const internal of ['Kernel', 'OnlineManager', 'ScoreUpdater', 'computeSignals', 'ComponentRegistry', 'openPipeline']) expect(api).not.toHaveProperty(internal);
  });

  it('is plugin API v2', () => {
    expect(api.PLUGIN_API_VERSION).toBe(2);
    expect(api.SUPPORTED_PLUGIN_API_VERSIONS).toEqual([1, 2]);
  });
});
