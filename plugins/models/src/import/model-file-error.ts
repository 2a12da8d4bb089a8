import { QonlineError } from '../../../../core/index.js';

/** A model file that cannot be imported: malformed, or using something qonline does not support. */
export function modelFileError(message: string, hint?: string): QonlineError {
  return new QonlineError('QONLINE_MODEL_FILE', message, hint ? { hint } : undefined);
}
