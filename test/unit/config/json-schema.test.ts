import { describe, expect, it } from 'vitest';
import { CANONICAL_YAML, CONFIG_PATH } from './helpers.js';
import { ConfigSchema, configJsonSchema, parseConfigText, settingsShape } from '../../../src/config/index.js';

type Json = Record<string, unknown>;

/** The sub-schemas a value at `key` may match, looking through anyOf/oneOf. */
function alternatives(schema: Json): Json[] {
  const branches = [...((schema.anyOf as Json[] | undefined) ?? []), ...((schema.oneOf as Json[] | undefined) ?? [])];
  return branches.length > 0 ? branches.flatMap(alternatives) : [schema];
}

/** Key paths of `value` that no branch of `schema` declares. */
function undeclared(value: unknown, schema: Json, path = ''): string[] {
  if (Array.isArray(value)) {
    const items = alternatives(schema).flatMap((s) => (s.items ? [s.items as Json] : []));
    return items.length === 0 ? [] : value.flatMap((v, i) => undeclared(v, { anyOf: items }, `${path}[${i}]`));
  }
  if (!value || typeof value !== 'object') return [];
  const objects = alternatives(schema).filter((s) => s.type === 'object');
  return Object.entries(value).flatMap(([k, v]) => {
    const at = objects.flatMap((s) => {
      const props = (s.properties as Record<string, Json> | undefined) ?? {};
      if (Object.hasOwn(props, k)) return [props[k]!];
      return s.additionalProperties && typeof s.additionalProperties === 'object' ? [s.additionalProperties as Json] : [];
    });
    return at.length === 0 ? [`${path}.${k}`] : undeclared(v, { anyOf: at }, `${path}.${k}`);
  });
}

/** Every object schema inside `schema` that lists properties. */
function objectSchemas(schema: unknown, out: Json[] = []): Json[] {
  if (Array.isArray(schema)) schema.forEach((s) => objectSchemas(s, out));
  else if (schema && typeof schema === 'object') {
    const s = schema as Json;
    if (s.type === 'object' && s.properties) out.push(s);
    Object.values(s).forEach((v) => objectSchemas(v, out));
  }
  return out;
}

describe('configJsonSchema', () => {
  const schema = configJsonSchema() as Json;

  it('is a draft 2020-12 schema with an id and a title', () => {
    expect(schema.$schema).toBe('https://json-schema.org/draft/2020-12/schema');
    expect(schema.$id).toEqual(expect.any(String));
    expect(schema.title).toBe('shipgate.yaml');
    expect(schema.type).toBe('object');
  });

  it('declares the top-level keys and rejects others', () => {
    expect(Object.keys(schema.properties as Json)).toEqual(Object.keys(ConfigSchema.shape));
    expect(schema.additionalProperties).toBe(false);
    expect(schema.required).toEqual(['app', 'provider']);
  });

  it('rejects unknown keys in every nested map', () => {
    const open = objectSchemas(schema).filter((s) => s.additionalProperties !== false);
    expect(open).toEqual([]);
  });

  it('keeps the descriptions', () => {
    const props = schema.properties as Record<string, Json>;
    for (const key of Object.keys(props)) expect(props[key]!.description, key).toEqual(expect.any(String));
  });

  it('lets an environment block set every key but app and environments', () => {
    const environments = (schema.properties as Record<string, Json>).environments!;
    const [block] = alternatives(environments.additionalProperties as Json);
    expect(Object.keys(block!.properties as Json)).toEqual(Object.keys(settingsShape));
    expect(block!.additionalProperties).toBe(false);
    // Merged over the base, a block may leave out anything: nothing in it is required.
    expect(JSON.stringify(block)).not.toContain('"required":[');
    expect(undeclared({ provider: { env: { A: 'b' } }, gates: { window: false } }, block!)).toEqual([]);
  });

  it('declares every key of the canonical example', () => {
    const doc = parseConfigText(CANONICAL_YAML, CONFIG_PATH);
    expect(undeclared(doc, schema)).toEqual([]);
  });

  it('finds an undeclared key (the check above can fail)', () => {
    expect(undeclared({ app: 'x', gates: { window: { hourz: '1' } } }, schema)).toEqual(['.gates.window.hourz']);
  });

  it('is plain JSON with no ISO-8601 "duration" format that would reject "10s"', () => {
    const text = JSON.stringify(schema);
    expect(JSON.parse(text)).toEqual(schema);
    expect(text).not.toContain('"format":"duration"');
  });
});
