export interface RouteDoc {
  method: string;
  url: string;
  schema: Record<string, unknown>;
}

/** An OpenAPI 3.0 document written from the routes' own request and response schemas. */
export function buildOpenApi(routes: RouteDoc[]): Record<string, unknown> {
  const paths: Record<string, Record<string, unknown>> = {};
  for (const r of routes) {
    const url = r.url.replace(/:([A-Za-z_]+)/g, '{$1}');
    const s = r.schema;
    const parameters: unknown[] = [];
    for (const [where, key] of [['query', 'querystring'], ['path', 'params']] as const) {
      const sch = s[key] as { properties?: Record<string, unknown>; required?: string[] } | undefined;
      for (const [name, schema] of Object.entries(sch?.properties ?? {})) parameters.push({ name, in: where, required: where === 'path' || (sch?.required ?? []).includes(name), schema: toOas(schema) });
    }
    const responses: Record<string, unknown> = {};
    for (const [code, schema] of Object.entries((s['response'] as Record<string, unknown> | undefined) ?? {})) {
      responses[code] = { description: code === '200' ? 'OK' : 'Error', content: { 'application/json': { schema: toOas(schema) } } };
    }
    responses['304'] = { description: 'Not modified (If-None-Match matched the ETag)' };
    const op: Record<string, unknown> = { summary: s['summary'], parameters, responses };
    if (s['body']) op['requestBody'] = { required: true, content: { 'application/json': { schema: toOas(s['body']) } } };
    if (r.method === 'POST') op['security'] = [{ bearer: [] }];
    for (const method of r.method === 'GET' ? ['get', 'head'] : [r.method.toLowerCase()]) (paths[url] ??= {})[method] = op;
  }
  return {
    openapi: '3.0.3',
    info: { title: 'qonline serve', version: '1.0.0', description: 'Signals, online models and the history of one manager. Every response carries x-qonline-state-version and an ETag.' },
    paths,
    components: { securitySchemes: { bearer: { type: 'http', scheme: 'bearer' } } },
  };
}

/** JSON Schema (draft 7) -> OpenAPI 3.0 schema: `type: [t, 'null']` becomes `type: t, nullable: true`. */
function toOas(schema: unknown): unknown {
  if (Array.isArray(schema)) return schema.map(toOas);
  if (typeof schema !== 'object' || schema === null) return schema;
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(schema)) {
    if (k === 'type' && Array.isArray(v)) {
      const types = v.filter((t) => t !== 'null');
      if (types.length === 1) out['type'] = types[0];
      else out['anyOf'] = types.map((t) => ({ type: t }));
      if (v.includes('null')) out['nullable'] = true;
    } else out[k] = toOas(v);
  }
  return out;
}
