import { QonlineError } from '../../../core/index.js';

/** Every bad array, label or parameter given to a model fails with this code. */
export function modelInputError(message: string, details?: string[], hint?: string): QonlineError {
  return new QonlineError('QONLINE_MODEL_INPUT', message, { details, hint });
}
