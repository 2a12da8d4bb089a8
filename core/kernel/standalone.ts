import os from 'node:os';
import type { Model, SerializedModel } from '../contracts/model.js';
import type { ComponentKind, ComponentKindMap, PluginManifest } from '../contracts/plugin.js';
import type { ComponentSpec } from '../schema/builder.js';
import { SystemClock } from './clock.js';
import { Kernel } from './kernel.js';
import { SilentLogger } from './logger.js';
import { NullProgress } from './progress.js';

/**
 * What a library helper (`createModel`, processors used on their own) builds
 * through: the kernel's one construction path, synchronously, over the
 * plugins it is given. Options are validated by the kernel exactly as in a run.
 */
export interface StandaloneComponents {
  create<K extends ComponentKind>(kind: K, spec: ComponentSpec): ComponentKindMap[K];
  restoreModel(serialized: SerializedModel): Model;
  /** Registered names of a kind (aliases included). */
  names(kind: ComponentKind): string[];
  /** Disposes what was built that owns a resource (a data provider's files and threads), newest first, failures reported together. */
  close(): Promise<void>;
}

/** A small kernel over `plugins` for library use: silent logger, system clock, no services. */
export function standaloneComponents(plugins: readonly PluginManifest[]): StandaloneComponents {
  const kernel = new Kernel({
    plugins: plugins.map((manifest) => ({ manifest, source: 'builtin' })),
    logger: new SilentLogger(),
    progress: new NullProgress(),
    clock: new SystemClock(),
    home: os.tmpdir(),
  });
  return {
    create: (kind, spec) => kernel.resolveSync(kind, spec),
    restoreModel: (serialized) => kernel.restoreModelSync(serialized),
    names: (kind) => kernel.registry.names(kind),
    close: () => kernel.stop(),
  };
}
