import { z } from 'zod';
import { ConfigSchema, settingsShape } from './schema/index.js';

/**
 * JSON Schema of shipgate.yaml for editors (`shipgate config schema`). It describes
 * the file as written (`io: 'input'`): keys with defaults are optional, and a
 * `${VAR}` in a number or duration field may be flagged although shipgate accepts it.
 */

export const CONFIG_SCHEMA_ID = 'urn:shipgate:config';
export const CONFIG_SCHEMA_TITLE = 'shipgate.yaml';

export type JsonSchema = Record<string, unknown>;

export function configJsonSchema(): JsonSchema {
  // 'any' keeps the export working if a schema ever gains a transform JSON Schema cannot express.
  const generated = z.toJSONSchema(ConfigSchema, { io: 'input', target: 'draft-2020-12', unrepresentable: 'any' }) as JsonSchema;
  const { $schema, ...rest } = generated;
  const schema: JsonSchema = {
    $schema,
    $id: CONFIG_SCHEMA_ID,
    title: CONFIG_SCHEMA_TITLE,
    description: 'Configuration of shipgate: how an app is gated, built, deployed, checked and rolled back.',
    ...rest,
  };
  describeOverlays(schema);
  return schema;
}

/**
 * An environment block is merged over the base before it is checked, so it may leave
 * out anything the base sets: its schema is the base's with nothing required.
 */
function describeOverlays(schema: JsonSchema): void {
  const properties = schema.properties as Record<string, JsonSchema>;
  const overlay: JsonSchema = {
    type: 'object',
    description: 'Settings for this environment, deep-merged over the base.',
    properties: Object.fromEntries(Object.keys(settingsShape).map((k) => [k, optionalEverywhere(properties[k])])),
    additionalProperties: false,
  };
  const environments = properties.environments;
  if (environments) environments.additionalProperties = { anyOf: [overlay, { type: 'null' }] };
}

/**
 * A copy with every `required` dropped and `oneOf` relaxed to `anyOf` (without the
 * discriminator, several branches may match). Defaults go too: they are the base's.
 */
function optionalEverywhere(schema: unknown): unknown {
  if (Array.isArray(schema)) return schema.map(optionalEverywhere);
  if (!schema || typeof schema !== 'object') return schema;
  const out: JsonSchema = {};
  for (const [key, value] of Object.entries(schema)) {
    if (key === 'required' || key === 'default') continue;
    out[key === 'oneOf' ? 'anyOf' : key] = key === 'properties' ? mapValues(value as JsonSchema, optionalEverywhere) : optionalEverywhere(value);
  }
  return out;
}

function mapValues(o: JsonSchema, f: (v: unknown) => unknown): JsonSchema {
  return Object.fromEntries(Object.entries(o).map(([k, v]) => [k, f(v)]));
}
