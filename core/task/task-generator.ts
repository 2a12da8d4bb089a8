import type { TaskDef, TaskGenerator } from '../contracts/task.js';
import { QonlineError } from '../errors/index.js';
import { plainJsonCopy } from './canonical.js';

/**
 * Qlib's `task_generator`: every generator is applied to every task the
 * previous generators produced, so templates [a, b] with generators [A (2
 * tasks each), B (3 each)] give 2 x 2 x 3 = 12 tasks, in template-major order.
 * With no generators the templates come back as plain copies.
 */
export function taskGenerator(tasks: TaskDef | TaskDef[], generators: TaskGenerator | TaskGenerator[]): TaskDef[] {
  const templates = Array.isArray(tasks) ? tasks : [tasks];
  const gens = Array.isArray(generators) ? generators : [generators];
  for (let i = 0; i < templates.length; i++) {
    const t = templates[i];
    if (t === null || typeof t !== 'object' || Array.isArray(t)) {
      throw new QonlineError('QONLINE_CONFIG_INVALID', `task template ${i + 1}: expected an object, found ${JSON.stringify(t)}`);
    }
  }
  for (let i = 0; i < gens.length; i++) {
    if (typeof gens[i]?.generate !== 'function') {
      throw new QonlineError('QONLINE_CONFIG_INVALID', `task generator ${i + 1} has no generate(task) method`);
    }
  }
  let current: TaskDef[] = templates.map((t) => plainJsonCopy(t));
  for (const gen of gens) {
    const next: TaskDef[] = [];
    for (const task of current) {
      for (const out of gen.generate(task)) next.push(out);
    }
    current = next;
  }
  return current;
}
