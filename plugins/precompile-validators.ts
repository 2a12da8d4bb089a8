import 'reflect-metadata';
import { writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { pipelineSchema } from '../core/config/pipeline-schema.js';
import { ComponentRegistry } from '../core/kernel/registry.js';
import { standaloneValidators, validatedSchemas } from '../core/kernel/validator.js';
import { builtinPluginEntries } from './builtins.js';

/**
 * Build step (run by tsup after a build): writes `dist/validators.cjs`, the
 * ajv standalone validators of the pipeline schema and of every built-in
 * component's schema, so a CLI call does not compile them again. A schema
 * not in it (a user plugin's) is compiled at run time as before.
 */
const registry = new ComponentRegistry();
registry.registerAll(builtinPluginEntries());
const schemas = validatedSchemas([pipelineSchema as object, ...registry.list().map((c) => c.def.schema as object)]);
const out = fileURLToPath(new URL('./validators.cjs', import.meta.url));
writeFileSync(out, standaloneValidators(schemas));
console.log(`precompiled ${schemas.size} schema validators into ${out}`);
