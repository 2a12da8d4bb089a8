import type { ExperimentStore } from '../../contracts/store.js';
import { QonlineError } from '../../errors/index.js';

/** The manager a read command means: --manager, else the config's, else the only one in the store. */
export async function resolveManagerName(store: ExperimentStore, flag: string | undefined, fromConfig: string | undefined): Promise<string> {
  const name = flag ?? fromConfig;
  if (name) return name;
  const all = await store.listManagers();
  if (all.length === 1) return all[0]!;
  throw new QonlineError('QONLINE_USAGE', all.length ? `the store has several managers (${all.join(', ')}); pass --manager` : 'the store has no manager yet; run a pipeline first');
}
