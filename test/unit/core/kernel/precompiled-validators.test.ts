import { readdirSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import type { ValidateFunction } from 'ajv';
import { describe, expect, it } from 'vitest';
import { validateConfig } from '../../../../core/config/validate.js';
import { SchemaValidator, standaloneValidators, validatedSchemas } from '../../../../core/kernel/validator.js';
import { ComponentRegistry, parseConfigText, pipelineSchema } from '../../../../plugins/index.js';
import { builtinPluginEntries } from '../../../../plugins/builtins.js';

const ROOT = path.resolve(__dirname, '../../../..');

/** The modules the build writes (dist/validators/<key>.cjs), generated here from source and loaded the same way. */
function precompiledModule(registry: ComponentRegistry): Record<string, ValidateFunction> {
  const out: Record<string, ValidateFunction> = {};
  for (const [key, code] of standaloneValidators(validatedSchemas([pipelineSchema as object, ...registry.list().map((c) => c.def.schema as object)]))) {
    const mod = { exports: {} as { validate: ValidateFunction } };
    new Function('require', 'module', 'exports', code)(createRequire(path.join(ROOT, 'dist', 'validators', `${key}.cjs`)), mod, mod.exports);
    out[key] = mod.exports.validate;
  }
  return out;
}

function problemsOf(text: string, file: string, registry: ComponentRegistry, validator: SchemaValidator): unknown {
  try {
    validateConfig(parseConfigText(text, file, { QONLINE_PG_URL: 'postgres://u@h/db' }), registry, validator);
    return null;
  } catch (e) {
    const q = e as { code: string; message: string; details: string[] };
    return { code: q.code, message: q.message, details: q.details };
  }
}

describe('precompiled config validators', () => {
  const registry = new ComponentRegistry();
  registry.registerAll(builtinPluginEntries());
  const precompiled = precompiledModule(registry);

  it('cover every schema the shipped configs meet, and report exactly what runtime-compiled ones report', () => {
    // user configs (users plugin: init_cash at the top, no manager) and Qlib workflow files
    // (a top-level task:, translated before validation, tested in qlib-workflow) are not pipelines
    const notPipeline = (text: string) => /^init_cash:/m.test(text) || (/^task:/m.test(text) && !/^manager:/m.test(text));
    const configs = readdirSync(path.join(ROOT, 'configs')).filter((f) => f.endsWith('.yaml') && !notPipeline(readFileSync(path.join(ROOT, 'configs', f), 'utf8')));
    expect(configs.length).toBeGreaterThan(2);
    const mutations: [RegExp, string][] = [
      [/\n {2}name: ([a-z_]+)/, '\n  name: $1\n  bogus_key: 1'],
      [/begin_time: [0-9-]+/, 'begin_time: yesterday'],
      [/class: (TrainerR|DelayTrainerR|TrainerRM)/, 'class: TrainerQ'],
      [/kwargs: \{instruments: (\d+)/, 'kwargs: {instruments: "many"'],
      [/step: (\d+)/, 'step: -3'],
      [/learning_rate: [0-9.]+/, 'learning_rate: fast'],
      [/alpha: [0-9.]+/, 'alpha: [1]'],
      [/fields_group: feature/, 'fields_group: 7'],
    ];
    let compared = 0;
    for (const f of configs) {
      const text = readFileSync(path.join(ROOT, 'configs', f), 'utf8');
      const file = path.join(ROOT, 'configs', f);
      const fast = new SchemaValidator(precompiled);
      expect(problemsOf(text, file, registry, fast), f).toBeNull();
      expect(fast.runtimeCompiles, `${f}: schemas not precompiled`).toBe(0);
      for (const [re, by] of mutations) {
        if (!re.test(text)) continue;
        const bad = text.replace(re, by);
        const expected = problemsOf(bad, file, registry, new SchemaValidator(null));
        expect(expected, `${f} ${re}`).not.toBeNull();
        expect(problemsOf(bad, file, registry, new SchemaValidator(precompiled)), `${f} ${re}`).toEqual(expected);
        compared++;
      }
    }
    expect(compared).toBeGreaterThan(10);
  });

  it('are looked up one schema at a time, and a schema without one (a user plugin\'s) is compiled at run time', () => {
    const text = readFileSync(path.join(ROOT, 'configs', 'rolling.yaml'), 'utf8');
    const file = path.join(ROOT, 'configs', 'rolling.yaml');
    const asked = new Set<string>();
    const lazy = new SchemaValidator((key) => {
      asked.add(key);
      return precompiled[key];
    });
    expect(problemsOf(text, file, registry, lazy)).toBeNull();
    expect(lazy.runtimeCompiles).toBe(0);
    expect(asked.size).toBeGreaterThan(3);
    expect(asked.size).toBeLessThan(Object.keys(precompiled).length);
    // Nothing precompiled: every schema compiled, the same result.
    const none = new SchemaValidator(() => undefined);
    expect(problemsOf(text, file, registry, none)).toBeNull();
    expect(none.runtimeCompiles).toBeGreaterThanOrEqual(asked.size); // per schema object (equal schemas share a key)
  });
});
