import { QonlineError } from '../../../core/index.js';

/** Every bad array, label or parameter given to a model fails with this code. */
export function modelInputError(message: string, details?: string[], hint?: string): QonlineError {
  return new QonlineError('QONLINE_MODEL_INPUT', message, { details, hint });
}

/** A model file's header must name this class and format version (each built-in model's `fromJSON` starts here). */
export function checkModelFile(serialized: { format?: unknown; class?: unknown; version?: unknown } | null | undefined, className: string, version: number): void {
  if (!serialized || serialized.format !== 'qonline-model' || serialized.class !== className) {
    throw modelInputError(`expected a serialised ${className} model (format "qonline-model", class "${className}"), found class ${JSON.stringify(serialized?.class)}`);
  }
  if (serialized.version !== version) {
    throw modelInputError(`${className} model file version ${String(serialized.version)} is not supported (this build reads version ${version})`);
  }
}
