import { describe, expect, it } from 'vitest';
import type { TaskDef, TaskGenerator } from '../../../../core/contracts/task.js';
import { taskGenerator } from '../../../../core/task/task-generator.js';

function template(name: string): TaskDef {
  return {
    model: { class: 'M', kwargs: { name } },
    dataset: { class: 'DatasetH', kwargs: { handler: { class: 'H', kwargs: {} }, segments: { test: ['2024-01-02', null] } } },
  };
}

/** A generator that writes `key = v` into model.kwargs, one task per value. */
function setting(key: string, values: unknown[]): TaskGenerator & { calls: number } {
  const gen = {
    calls: 0,
    generate(task: TaskDef): TaskDef[] {
      gen.calls++;
      return values.map((v) => {
        const t = JSON.parse(JSON.stringify(task)) as TaskDef;
        t.model.kwargs = { ...t.model.kwargs, [key]: v };
        return t;
      });
    },
  };
  return gen;
}

const label = (t: TaskDef): string => {
  const k = t.model.kwargs as Record<string, unknown>;
  return [k['name'], k['a'], k['b']].filter((x) => x !== undefined).join('-');
};

describe('taskGenerator', () => {
  it('is the cross product, generator by generator, template-major', () => {
    const A = setting('a', [1, 2]);
    const B = setting('b', ['x', 'y', 'z']);
    const out = taskGenerator([template('t1'), template('t2')], [A, B]);
    expect(out.length).toBe(2 * 2 * 3);
    expect(out.map(label)).toEqual([
      't1-1-x', 't1-1-y', 't1-1-z', 't1-2-x', 't1-2-y', 't1-2-z',
      't2-1-x', 't2-1-y', 't2-1-z', 't2-2-x', 't2-2-y', 't2-2-z',
    ]);
    // B runs once per task A produced
    expect(A.calls).toBe(2);
    expect(B.calls).toBe(4);
  });

  it('takes a single task and a single generator', () => {
    expect(taskGenerator(template('t'), setting('a', [7, 8])).map(label)).toEqual(['t-7', 't-8']);
  });

  it('returns plain copies of the templates when there is no generator', () => {
    const t = template('t');
    const out = taskGenerator([t], []);
    expect(out).toEqual([t]);
    expect(out[0]).not.toBe(t);
  });

  it('does not change the templates', () => {
    const t = template('t');
    const before = JSON.stringify(t);
    taskGenerator([t], [setting('a', [1]), setting('b', [2])]);
    expect(JSON.stringify(t)).toBe(before);
  });

  it('gives nothing when a generator gives nothing', () => {
    expect(taskGenerator([template('t')], [setting('a', []), setting('b', [1])])).toEqual([]);
  });

  it('rejects non-object templates and non-generators', () => {
    expect(() => taskGenerator([null as unknown as TaskDef], [])).toThrow(/task template 1: expected an object/);
    expect(() => taskGenerator([template('t')], [{} as TaskGenerator])).toThrow(/generator 1 has no generate/);
  });
});
