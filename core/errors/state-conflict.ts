import { QonlineError } from './qonline-error.js';

/** The state of `manager` changed (or vanished) since the caller read it at `expected`. */
export function stateConflict(manager: string, expected: number, now: string): QonlineError {
  return new QonlineError(
    'QONLINE_STATE_CONFLICT',
    `the state of manager ${JSON.stringify(manager)} changed while this step ran (it started from version ${expected}, the store now has ${now}); nothing of this step's commit was written`,
    { hint: 'another process (a routine, rollback or `online set`) committed first; run the step again to apply it to the new state' },
  );
}
