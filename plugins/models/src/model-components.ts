import type { ComponentDefinition } from '../../../core/index.js';
import { gbdtComponent } from './gbdt/gbdt-component.js';
import { importedComponent } from './import/imported-component.js';
import { linearComponent } from './linear/linear-component.js';

/** Every model this plugin provides; the manifest and the kernel-free helpers share this list. */
export const MODEL_COMPONENTS: ComponentDefinition<any, any>[] = [linearComponent, gbdtComponent, importedComponent];
