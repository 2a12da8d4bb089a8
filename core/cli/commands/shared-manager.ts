import type { ExperimentStore } from '../../contracts/store.js';
import { QonlineError } from '../../errors/index.js';
import { closestMatches } from '../../kernel/did-you-mean.js';

/** The manager a read command means: --manager, else the config's, else the only one in the store. */
export async function resolveManagerName(store: ExperimentStore, flag: string | undefined, fromConfig: string | undefined): Promise<string> {
  const name = flag ?? fromConfig;
  if (name) return name;
  const all = await store.listManagers();
  if (all.length === 1) return all[0]!;
  throw new QonlineError('QONLINE_USAGE', all.length ? `the store has several managers (${all.join(', ')}); pass --manager` : 'the store has no manager yet; run a pipeline first');
}

/** A strategy name the user typed must be one of `known`: otherwise a usage error (exit 2) with did-you-mean. */
export function requireStrategy(name: string, known: readonly string[], where: string): void {
  if (known.includes(name)) return;
  const near = closestMatches(name, known, 2);
  throw new QonlineError('QONLINE_USAGE', `unknown strategy ${JSON.stringify(name)}${near.length ? `; did you mean ${near.map((n) => JSON.stringify(n)).join(' or ')}?` : ''}`, {
    hint: `strategies ${where}: ${known.join(', ') || '(none)'}`,
  });
}
