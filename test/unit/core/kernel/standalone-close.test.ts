import { describe, expect, it } from 'vitest';
import { defineComponent, definePlugin, S, standaloneComponents } from '../../../../core/index.js';

describe('standaloneComponents', () => {
  it('close() disposes what it built, newest first, reporting every failure together', async () => {
    const closed: string[] = [];
    const provider = defineComponent({
      kind: 'dataProvider',
      name: 'Owned',
      description: 'test provider owning a resource',
      schema: S.object({ id: S.string(), fail: S.optional(S.boolean()) }),
      create: (o) => ({ id: o.id, fail: o.fail }) as never,
      dispose: (p) => {
        const x = p as unknown as { id: string; fail?: boolean };
        closed.push(x.id);
        if (x.fail) throw new Error(`${x.id} is stuck`);
      },
    });
    const c = standaloneComponents([definePlugin({ name: 'owned', version: '1.0.0', components: [provider] })]);
    c.create('dataProvider', { class: 'Owned', kwargs: { id: 'a', fail: true } });
    c.create('dataProvider', { class: 'Owned', kwargs: { id: 'b' } });
    c.create('dataProvider', { class: 'Owned', kwargs: { id: 'c', fail: true } });
    expect(closed).toEqual([]);
    await expect(c.close()).rejects.toMatchObject({ code: 'QONLINE_COMPONENT_FAILED', details: ['closing owned/Owned failed: c is stuck', 'closing owned/Owned failed: a is stuck'] });
    expect(closed).toEqual(['c', 'b', 'a']);
    // Closed once: a second close has nothing left.
    await c.close();
    expect(closed).toEqual(['c', 'b', 'a']);
  });
});
