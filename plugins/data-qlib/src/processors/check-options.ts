import type { TSchema } from '../../../../core/index.js';

/**
 * A small JSON-Schema check for processor kwargs built outside the kernel
 * (a handler builds its processors itself). Covers what PROCESSOR_SCHEMAS
 * use: type, enum, const, anyOf, pattern, items, properties, required,
 * additionalProperties. Returns one message per problem.
 */
export function checkOptions(schema: TSchema, value: unknown, path = ''): string[] {
  const s = schema as Record<string, unknown>;
  const problems: string[] = [];
  const at = path || '/';
  if (Array.isArray(s['anyOf'])) {
    const members = s['anyOf'] as TSchema[];
    if (!members.some((m) => checkOptions(m, value, path).length === 0)) {
      problems.push(`${at}: expected ${members.map(describe).join(' or ')}, found ${show(value)}`);
    }
    return problems;
  }
  if ('const' in s && value !== s['const']) return [`${at}: expected ${JSON.stringify(s['const'])}, found ${show(value)}`];
  if (Array.isArray(s['enum']) && !(s['enum'] as unknown[]).includes(value)) {
    return [`${at}: expected one of ${(s['enum'] as unknown[]).map((e) => JSON.stringify(e)).join(', ')}, found ${show(value)}`];
  }
  const type = s['type'];
  if (typeof type === 'string' && !hasType(value, type)) return [`${at}: expected ${type}, found ${show(value)}`];
  if (typeof value === 'string' && typeof s['pattern'] === 'string' && !new RegExp(s['pattern']).test(value)) {
    problems.push(`${at}: ${show(value)} does not match ${s['pattern']}`);
  }
  if (Array.isArray(value) && s['items'] && typeof s['items'] === 'object') {
    value.forEach((v, i) => problems.push(...checkOptions(s['items'] as TSchema, v, `${path}/${i}`)));
  }
  if (type === 'object' && value !== null && typeof value === 'object' && !Array.isArray(value)) {
    const obj = value as Record<string, unknown>;
    const props = (s['properties'] ?? {}) as Record<string, TSchema>;
    for (const key of (s['required'] ?? []) as string[]) if (!(key in obj)) problems.push(`${path}/${key}: is required`);
    for (const [key, v] of Object.entries(obj)) {
      if (key in props) problems.push(...checkOptions(props[key]!, v, `${path}/${key}`));
      else if (s['additionalProperties'] === false) {
        const known = Object.keys(props);
        problems.push(`${path}/${key}: unknown option (allowed: ${known.length ? known.join(', ') : 'none'})`);
      }
    }
  }
  return problems;
}

function hasType(v: unknown, type: string): boolean {
  switch (type) {
    case 'string':
      return typeof v === 'string';
    case 'number':
      return typeof v === 'number' && Number.isFinite(v);
    case 'integer':
      return typeof v === 'number' && Number.isInteger(v);
    case 'boolean':
      return typeof v === 'boolean';
    case 'null':
      return v === null;
    case 'array':
      return Array.isArray(v);
    case 'object':
      return v !== null && typeof v === 'object' && !Array.isArray(v);
    default:
      return true;
  }
}

function describe(schema: TSchema): string {
  const s = schema as Record<string, unknown>;
  if (Array.isArray(s['enum'])) return (s['enum'] as unknown[]).map((e) => JSON.stringify(e)).join(' | ');
  if (s['type'] === 'string' && typeof s['pattern'] === 'string') return `a string matching ${s['pattern']}`;
  if (typeof s['type'] === 'string') return s['type'] === 'array' && s['items'] ? `a list of ${describe(s['items'] as TSchema)}` : (s['type'] as string);
  if (Array.isArray(s['anyOf'])) return (s['anyOf'] as TSchema[]).map(describe).join(' or ');
  return 'a value';
}

function show(v: unknown): string {
  if (v === undefined) return 'nothing';
  const text = JSON.stringify(v);
  return text.length > 60 ? `${text.slice(0, 57)}...` : text;
}
