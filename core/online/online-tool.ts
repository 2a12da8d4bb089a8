import type { ExperimentStore, RecorderInfo } from '../contracts/store.js';
import { ONLINE_TAG } from './task-runner.js';

export type OnlineTag = 'online' | 'offline';

/**
 * Online tags of one strategy's recorders (Qlib's OnlineToolR). Putting a set
 * online is one transaction, never two writes.
 */
export class OnlineTool {
  constructor(
    private readonly store: ExperimentStore,
    readonly experiment: string,
  ) {}

  async setOnlineTag(tag: OnlineTag, recorders: RecorderInfo[] | string[]): Promise<void> {
    await this.store.setTags(ids(recorders), { [ONLINE_TAG]: tag });
  }

  getOnlineTag(recorder: RecorderInfo): OnlineTag {
    return recorder.tags[ONLINE_TAG] === 'online' ? 'online' : 'offline';
  }

  /** All of the strategy's recorders offline, then the given ones online, atomically. */
  async resetOnlineTag(recorders: RecorderInfo[] | string[], store: ExperimentStore = this.store): Promise<void> {
    const online = new Set(ids(recorders));
    const all = await store.listRecorders({ experiment: this.experiment });
    await store.transaction(async (tx) => {
      await tx.setTags(
        all.filter((r) => !online.has(r.id)).map((r) => r.id),
        { [ONLINE_TAG]: 'offline' },
      );
      await tx.setTags([...online], { [ONLINE_TAG]: 'online' });
    });
  }

  async onlineModels(): Promise<RecorderInfo[]> {
    return this.store.listRecorders({ experiment: this.experiment, tags: { [ONLINE_TAG]: 'online' } });
  }
}

function ids(recorders: RecorderInfo[] | string[]): string[] {
  return recorders.map((r) => (typeof r === 'string' ? r : r.id));
}
