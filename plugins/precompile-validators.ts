import 'reflect-metadata';
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { pipelineSchema } from '../core/config/pipeline-schema.js';
import { ComponentRegistry } from '../core/kernel/registry.js';
import { standaloneValidators, validatedSchemas } from '../core/kernel/validator.js';
import { builtinPluginEntries } from './builtins.js';

/**
 * Build step (run by tsup after a build): writes `dist/validators/<key>.cjs`,
 * the ajv standalone validator of the pipeline schema and of every built-in
 * component's schema (one module each, loaded on first use), so a CLI call
 * does not compile them again. A schema not among them (a user plugin's) is
 * compiled at run time as before.
 */
const registry = new ComponentRegistry();
registry.registerAll(builtinPluginEntries());
const schemas = validatedSchemas([pipelineSchema as object, ...registry.list().map((c) => c.def.schema as object)]);
const out = fileURLToPath(new URL('./validators/', import.meta.url));
rmSync(out, { recursive: true, force: true });
mkdirSync(out);
for (const [key, code] of standaloneValidators(schemas)) writeFileSync(path.join(out, `${key}.cjs`), code);
console.log(`precompiled ${schemas.size} schema validators into ${out}`);
