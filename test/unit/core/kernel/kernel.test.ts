import { describe, expect, it } from 'vitest';
import { createToken, defineComponent, definePlugin, Kernel, NullProgress, optionalDep, S, SilentLogger, SystemClock, TestClock, TOKENS, parseConfigText } from '../../../../plugins/index.js';
import { validateConfig } from '../../../../core/config/validate.js';

// A kind of its own for these tests (steps and records have typed contracts), added as a plugin adds one.
declare module '../../../../core/contracts/plugin.js' {
  interface ComponentKindMap {
    testThing: unknown;
  }
}

const env = { logger: new SilentLogger(), progress: new NullProgress(), clock: new SystemClock(), home: '/tmp/qonline-kernel-test' };

const greeter = defineComponent({
  kind: 'testThing',
  name: 'Greeter',
  aliases: ['Hello'],
  description: 'test component',
  schema: S.object({ times: S.integer({ minimum: 1, description: 'how many' }), nested: S.optional(S.component({ kind: 'testThing', description: 'a nested one' })) }),
  create: async (o, ctx) => ({ times: o.times, frozen: Object.isFrozen(o), nested: o.nested ? await ctx.resolve('testThing', o.nested) : null, plugin: ctx.plugin }),
});

describe('kernel', () => {
  it('resolves by name or alias with frozen, validated options and nested components', async () => {
    const k = new Kernel({ ...env, plugins: [{ manifest: definePlugin({ name: 'p', version: '1', kinds: ['testThing'], components: [greeter] }), source: 'test' }] });
    const g = await k.resolve('testThing', { class: 'Hello', kwargs: { times: 2, nested: { class: 'Greeter', kwargs: { times: 3 } } } });
    expect(g).toMatchObject({ times: 2, frozen: true, nested: { times: 3 }, plugin: 'p' });
    await expect(k.resolve('testThing', { class: 'Greeter', kwargs: { times: 0 } })).rejects.toMatchObject({ code: 'QONLINE_CONFIG_INVALID' });
    await expect(k.resolve('testThing', { class: 'Greter', kwargs: { times: 1 } })).rejects.toThrow(/did you mean "Greeter"/);
    await expect(k.resolve('testThing', { class: 'Greeter', kwargs: { times: 1, nested: { class: 'Nope' } } })).rejects.toMatchObject({ code: 'QONLINE_UNKNOWN_CLASS' });
  });

  it('reports every registration problem at once', () => {
    const bad = definePlugin({ name: 'bad', version: '1', apiVersion: 99, kinds: ['testThing'], components: [greeter, { ...greeter, kind: 'nonsense' as never, name: 'X' }] });
    const dup = definePlugin({ name: 'dup', version: '1', kinds: ['testThing'], components: [{ ...greeter, aliases: [] }] });
    try {
      new Kernel({ ...env, plugins: [{ manifest: definePlugin({ name: 'p', version: '1', kinds: ['testThing'], components: [greeter] }), source: 'a' }, { manifest: bad, source: 'b' }, { manifest: dup, source: 'c' }] });
      expect.unreachable();
    } catch (e) {
      const details = (e as { details: string[] }).details;
      expect((e as { code: string }).code).toBe('QONLINE_PLUGIN_INVALID');
      expect(details.some((d) => d.includes('needs plugin API v99'))).toBe(true);
      expect(details.some((d) => d.includes('unknown kind "nonsense"'))).toBe(true);
      expect(details.some((d) => d.includes('"Greeter" is already registered by plugin p'))).toBe(true);
    }
  });

  it('names a missing dependency, wraps component errors with plugin and phase, and isolates scopes', async () => {
    const need = createToken<number>('test.need');
    const needy = defineComponent({ kind: 'testThing', name: 'Needy', description: 'd', schema: S.object({}), deps: { need }, create: (_o, ctx) => ctx.deps.need + 1 });
    const broken = defineComponent({ kind: 'testThing', name: 'Broken', description: 'd', schema: S.object({}), create: () => { throw new Error('kaput'); } });
    const k = new Kernel({ ...env, plugins: [{ manifest: definePlugin({ name: 'q', version: '1', kinds: ['testThing'], components: [needy, broken] }), source: 't' }] });
    await expect(k.resolve('testThing', { class: 'Needy' })).rejects.toThrow(/Needy \(plugin q\) needs test.need, which nothing provides/);
    await expect(k.resolve('testThing', { class: 'Broken' })).rejects.toMatchObject({ code: 'QONLINE_COMPONENT_FAILED', plugin: 'q', component: 'Broken', phase: 'create' });
    const scope = k.createScope();
    scope.provideValue(need, 5);
    expect(await scope.resolve('testThing', { class: 'Needy' })).toBe(6);
    expect(k.has(need)).toBe(false);
    expect(scope.get(TOKENS.home)).toBe(env.home);
  });

  it('hands create exactly its declared deps (optional ones undefined), nothing else', async () => {
    const need = createToken<number>('test.need2');
    const maybe = createToken<string>('test.maybe');
    const seen: unknown[] = [];
    const comp = defineComponent({
      kind: 'testThing',
      name: 'Reader',
      description: 'd',
      schema: S.object({}),
      deps: { need, maybe: optionalDep(maybe) },
      create: (_o, ctx) => {
        seen.push({ ...ctx.deps }, 'get' in ctx, 'has' in ctx);
        return ctx.deps.need * 2;
      },
    });
    const k = new Kernel({ ...env, plugins: [{ manifest: definePlugin({ name: 'r', version: '1', kinds: ['testThing'], components: [comp] }), source: 't' }] });
    const scope = k.createScope();
    scope.provideValue(need, 4);
    expect(await scope.resolve('testThing', { class: 'Reader' })).toBe(8);
    scope.provideValue(maybe, 'yes');
    await scope.resolve('testThing', { class: 'Reader' });
    expect(seen).toEqual([{ need: 4, maybe: undefined }, false, false, { need: 4, maybe: 'yes' }, false, false]);
    // A v1-style deps list is a registration error naming the fix.
    const old = definePlugin({ name: 'old', version: '1', kinds: ['testThing'], components: [{ ...comp, name: 'Old', deps: [need] as never }] });
    expect(() => new Kernel({ ...env, plugins: [{ manifest: old, source: 'o' }] })).toThrow(/plugin registration failed/);
  });

  it('ctx.resolve of a kind hands the nested component its own declared deps only, and the scope disposes it', async () => {
    const parentOnly = createToken<string>('test.parentOnly');
    const childOnly = createToken<string>('test.childOnly');
    const seen: Record<string, unknown>[] = [];
    const closed: string[] = [];
    const child = defineComponent({
      kind: 'testThing',
      name: 'Child',
      description: 'd',
      schema: S.object({}),
      deps: { childOnly },
      create: (_o, ctx) => {
        seen.push({ child: { ...ctx.deps } });
        return { id: 'child' };
      },
      dispose: (x: { id: string }) => void closed.push(x.id),
    });
    const parent = defineComponent({
      kind: 'testThing',
      name: 'Parent',
      description: 'd',
      schema: S.object({ inner: S.component({ kind: 'testThing', description: 'nested' }) }),
      deps: { parentOnly },
      create: async (o, ctx) => {
        seen.push({ parent: { ...ctx.deps } });
        await ctx.resolve('testThing', o.inner);
        return { id: 'parent' };
      },
      dispose: (x: { id: string }) => void closed.push(x.id),
    });
    const k = new Kernel({ ...env, plugins: [{ manifest: definePlugin({ name: 'n', version: '1', kinds: ['testThing'], components: [child, parent] }), source: 't' }] });
    const scope = k.createScope();
    scope.provideValue(parentOnly, 'P');
    // The nested component's missing dependency is its own, named as such: it cannot borrow its parent's.
    await expect(scope.resolve('testThing', { class: 'Parent', kwargs: { inner: { class: 'Child' } } })).rejects.toThrow(/Child \(plugin n\) needs test.childOnly/);
    scope.provideValue(childOnly, 'C');
    seen.length = 0;
    await scope.resolve('testThing', { class: 'Parent', kwargs: { inner: { class: 'Child' } } });
    expect(seen).toEqual([{ parent: { parentOnly: 'P' } }, { child: { childOnly: 'C' } }]);
    // Built inside the parent's create, so created first: disposed after it.
    await scope.stop();
    expect(closed).toEqual(['parent', 'child']);
  });

  it('disposes what a scope built in reverse order and reports every failure together', async () => {
    const log: string[] = [];
    const res = defineComponent({
      kind: 'testThing',
      name: 'Res',
      description: 'd',
      schema: S.object({ id: S.string(), fail: S.optional(S.boolean()) }),
      create: (o) => ({ id: o.id, fail: o.fail ?? false }),
      dispose: (r: { id: string; fail: boolean }) => {
        log.push(r.id);
        if (r.fail) throw new Error(`boom ${r.id}`);
      },
    });
    const k = new Kernel({ ...env, plugins: [{ manifest: definePlugin({ name: 'd', version: '1', kinds: ['testThing'], components: [res] }), source: 't' }] });
    const scope = k.createScope();
    for (const [id, fail] of [['a', false], ['b', true], ['c', false], ['d', true]] as const) await scope.resolve('testThing', { class: 'Res', kwargs: { id, fail } });
    const err = await scope.stop().then(
      () => null,
      (e: unknown) => e,
    );
    expect(log).toEqual(['d', 'c', 'b', 'a']);
    expect(err).toMatchObject({ code: 'QONLINE_COMPONENT_FAILED', phase: 'dispose', details: ['closing d/Res failed: boom d', 'closing d/Res failed: boom b'] });
    await scope.stop(); // nothing left: a second stop is a no-op
    expect(log).toHaveLength(4);
  });

  it('disposes a disposeAlongside component while the older ones close, waits for it, and reports its failure in order', async () => {
    const log: string[] = [];
    let finishSlow!: () => void;
    const slow = defineComponent({
      kind: 'testThing',
      name: 'Slow',
      description: 'closes asynchronously, needing nothing older',
      schema: S.object({ fail: S.optional(S.boolean()) }),
      disposeAlongside: true,
      create: (o) => ({ fail: o.fail ?? false }),
      dispose: async (r: { fail: boolean }) => {
        log.push('slow started');
        await new Promise<void>((resolve) => (finishSlow = resolve));
        log.push('slow finished');
        if (r.fail) throw new Error('boom slow');
      },
    });
    const plain = defineComponent({
      kind: 'testThing',
      name: 'Plain',
      description: 'd',
      schema: S.object({ id: S.string(), fail: S.optional(S.boolean()) }),
      create: (o) => ({ id: o.id, fail: o.fail ?? false }),
      dispose: async (r: { id: string; fail: boolean }) => {
        log.push(r.id);
        // The older one finishes only once the slow one is under way: it runs alongside.
        if (r.id === 'old') finishSlow();
        if (r.fail) throw new Error(`boom ${r.id}`);
      },
    });
    const k = new Kernel({ ...env, plugins: [{ manifest: definePlugin({ name: 'd', version: '1', kinds: ['testThing'], components: [slow, plain] }), source: 't' }] });
    const scope = k.createScope();
    await scope.resolve('testThing', { class: 'Plain', kwargs: { id: 'old', fail: true } });
    await scope.resolve('testThing', { class: 'Slow', kwargs: { fail: true } });
    await scope.resolve('testThing', { class: 'Plain', kwargs: { id: 'new' } });
    const err = await scope.stop().then(
      () => null,
      (e: unknown) => e,
    );
    // The newer one first (awaited), the slow one started, the older one while it runs; stop waits for both.
    expect(log).toEqual(['new', 'slow started', 'old', 'slow finished']);
    // Failures in disposal order, whenever they happened.
    expect(err).toMatchObject({ code: 'QONLINE_COMPONENT_FAILED', details: ['closing d/Slow failed: boom slow', 'closing d/Plain failed: boom old'] });
  });

  it('accepts kinds a plugin introduces and v1 plugins without deps', async () => {
    const ex = defineComponent({ kind: 'exchange' as never, name: 'Ex', description: 'd', schema: S.object({}), create: () => 'ex' as never });
    const k = new Kernel({
      ...env,
      plugins: [
        { manifest: definePlugin({ name: 'kinds', version: '1', kinds: ['exchange'], components: [ex] }), source: 't' },
        { manifest: definePlugin({ name: 'v1', version: '1', apiVersion: 1, kinds: ['testThing'], components: [{ ...greeter, name: 'G1', aliases: [] }] }), source: 'v' },
      ],
    });
    expect(await k.resolve('exchange' as never, { class: 'Ex' })).toBe('ex');
    expect(k.registry.kinds()).toContain('exchange');
    expect(await k.resolve('testThing', { class: 'G1', kwargs: { times: 1 } })).toMatchObject({ times: 1 });
  });

  it('TestClock moves only when advanced and wakes sleepers whose time has come', async () => {
    const clock = new TestClock('2024-01-01T00:00:00Z');
    const woke: number[] = [];
    void clock.sleep(1000).then(() => woke.push(1000));
    void clock.sleep(5000).then(() => woke.push(5000));
    clock.advance(999);
    await Promise.resolve();
    expect(woke).toEqual([]);
    clock.advance(1);
    await new Promise((r) => setImmediate(r));
    expect(woke).toEqual([1000]);
    expect(clock.now().toISOString()).toBe('2024-01-01T00:00:01.000Z');
    expect(clock.pending).toBe(1);
  });

  it('validates a whole config and points at the YAML line of each problem', () => {
    const k = new Kernel({ ...env, plugins: [{ manifest: definePlugin({ name: 'p', version: '1', kinds: ['testThing'], components: [greeter] }), source: 'a' }] });
    const cfg = parseConfigText(['manager:', '  name: m', '  ensemble: {class: Greeter, kwargs: {times: -1}}', 'strategies: []', 'bogus: 1'].join('\n'), 'x.yaml');
    try {
      validateConfig(cfg, k.registry, k.validator);
      expect.unreachable();
    } catch (e) {
      const err = e as { details: string[]; location: { line: number } };
      expect(err.details.join('\n')).toMatch(/x\.yaml:5:1 at \/bogus: unknown property "bogus"/);
      expect(err.details.join('\n')).toMatch(/x\.yaml:4:\d+ at \/strategies: .*(fewer than 1|must NOT have fewer)/);
    }
  });

  it('substitutes ${ENV} with defaults and reports a missing variable at its line', () => {
    const ok = parseConfigText('home: ${QO_TEST_HOME:-/tmp/x}\nmanager: {name: "${QO_NAME}"}', 'e.yaml', { QO_NAME: 'abc' });
    expect(ok.value).toEqual({ home: '/tmp/x', manager: { name: 'abc' } });
    expect(() => parseConfigText('manager:\n  name: ${QO_MISSING}', 'e.yaml', {})).toThrow(/QO_MISSING is not set/);
  });
});
