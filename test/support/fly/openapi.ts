import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Ajv, type ErrorObject, type ValidateFunction } from 'ajv';
import { load } from 'js-yaml';

/**
 * The published Fly.io Machines API description (test/fixtures/fly-machines-openapi.yaml), turned
 * into a router and request validators for the fake Machines API.
 *
 * OpenAPI 3.0 schema objects are not JSON Schema: `nullable`, `example`, `x-*` and friends are
 * converted or dropped before ajv compiles them, and `#/components/schemas/X` references are
 * resolved by registering every component with ajv under its own id.
 *
 * `strictUnknownFields` (the default) also rejects properties an object schema does not list. The
 * real API, written in Go, silently ignores them, so a misspelled field (`skip_service_registation`)
 * would be a silent bug there; the fake makes it a 400.
 */

export const FLY_SPEC_PATH = fileURLToPath(new URL('../../fixtures/fly-machines-openapi.yaml', import.meta.url));

type Json = null | boolean | number | string | Json[] | { [k: string]: Json };
type JsonObject = { [k: string]: Json };

interface SpecParameter {
  in: 'path' | 'query' | 'header';
  name: string;
  required?: boolean;
  schema?: JsonObject;
}

export interface SpecOperation {
  operationId: string;
  method: string;
  /** The path template, e.g. `/apps/{app_name}/machines/{machine_id}`. */
  template: string;
  /** Whether the spec describes a JSON request body, and whether it is required. */
  body: 'none' | 'optional' | 'required';
}

export type RouteMatch =
  | { kind: 'found'; operation: SpecOperation; params: Record<string, string> }
  | { kind: 'no-path' }
  | { kind: 'no-method'; allow: string[] };

const SCHEMA_ID = 'https://fly-spec.test/schemas/';
const METHODS = ['get', 'put', 'post', 'delete', 'patch', 'head', 'options'];
/** OpenAPI-only keywords that are not JSON Schema (ajv's strict mode refuses them). */
const DROP = new Set(['example', 'examples', 'externalDocs', 'xml', 'discriminator', 'deprecated', 'nullable']);

/**
 * Bodies the spec leaves out but the API takes: flyctl's SetMetadata posts `{"value": "..."}` to
 * `POST /apps/{app}/machines/{id}/metadata/{key}`, for which the spec describes no request body.
 */
const SUPPLEMENTARY_BODIES: Record<string, JsonObject> = {
  Machines_update_metadata: { type: 'object', properties: { value: { type: 'string' } }, required: ['value'] },
};

/** Converts one OpenAPI 3.0 schema object into JSON Schema (draft-07, as ajv takes it). */
export function toJsonSchema(node: Json, strictUnknownFields: boolean): Json {
  if (Array.isArray(node)) return node.map((n) => toJsonSchema(n, strictUnknownFields));
  if (node === null || typeof node !== 'object') return node;
  const out: JsonObject = {};
  for (const [key, value] of Object.entries(node)) {
    if (DROP.has(key) || key.startsWith('x-')) continue;
    if (key === '$ref' && typeof value === 'string') {
      out.$ref = value.replace('#/components/schemas/', SCHEMA_ID);
    } else if (key === 'properties' && value && typeof value === 'object' && !Array.isArray(value)) {
      out.properties = Object.fromEntries(Object.entries(value).map(([name, s]) => [name, toJsonSchema(s, strictUnknownFields)]));
    } else if (key === 'description' || key === 'title') {
      out[key] = value;
    } else {
      out[key] = toJsonSchema(value, strictUnknownFields);
    }
  }
  if (node.nullable === true) {
    if (typeof out.type === 'string') out.type = [out.type, 'null'];
    if (Array.isArray(out.enum)) out.enum = [...out.enum, null];
    if (out.type === undefined && out.$ref !== undefined) return { anyOf: [{ $ref: out.$ref }, { type: 'null' }] };
  }
  // A `$ref` next to other keywords: OpenAPI 3.0 ignores the siblings, draft-07 too; keep only the ref.
  if (out.$ref !== undefined) return { $ref: out.$ref };
  if (strictUnknownFields && out.properties !== undefined && out.additionalProperties === undefined) out.additionalProperties = false;
  return out;
}

function describe(error: ErrorObject): string {
  const where = error.instancePath === '' ? 'body' : `body${error.instancePath.replace(/\//g, '.')}`;
  if (error.keyword === 'additionalProperties') return `${where}: unknown property "${String(error.params.additionalProperty)}"`;
  if (error.keyword === 'enum') return `${where}: must be one of ${JSON.stringify(error.params.allowedValues)}`;
  return `${where}: ${error.message ?? error.keyword}`;
}

export interface FlySpec {
  readonly operations: readonly SpecOperation[];
  /** Finds the operation for a method and a path (without the `/v1` prefix). */
  route(method: string, path: string): RouteMatch;
  /** Problems with a request body (parsed JSON, or `undefined` when there is none); empty when it passes. */
  checkBody(operation: SpecOperation, body: unknown): string[];
  /** Problems with the query parameters the spec declares (types, enums, required ones); empty when they pass. */
  checkQuery(operation: SpecOperation, query: URLSearchParams): string[];
  /** Problems with a value against a named component schema (e.g. `Machine`), for checking the fake's answers. */
  checkComponent(name: string, value: unknown): string[];
}

export function loadFlySpec(opts: { strictUnknownFields?: boolean; path?: string } = {}): FlySpec {
  const strict = opts.strictUnknownFields ?? true;
  const doc = load(readFileSync(opts.path ?? FLY_SPEC_PATH, 'utf8')) as JsonObject;
  const components = ((doc.components as JsonObject | undefined)?.schemas ?? {}) as JsonObject;
  const ajv = new Ajv({ allErrors: true, strict: true, strictTypes: false, coerceTypes: false });
  const loose = new Ajv({ allErrors: true, strict: true, strictTypes: false });
  for (const [name, schema] of Object.entries(components)) {
    ajv.addSchema(toJsonSchema(schema, strict) as object, SCHEMA_ID + name);
    loose.addSchema(toJsonSchema(schema, false) as object, SCHEMA_ID + name);
  }

  const operations: SpecOperation[] = [];
  const bodies = new Map<string, ValidateFunction>();
  const queries = new Map<string, { name: string; required: boolean; validate: ValidateFunction }[]>();
  const routes: { template: string; pattern: RegExp; names: string[]; byMethod: Map<string, SpecOperation> }[] = [];

  for (const [template, item] of Object.entries((doc.paths ?? {}) as Record<string, JsonObject>)) {
    const names: string[] = [];
    const source = template
      .split('/')
      .map((segment) => {
        const param = /^\{(.+)\}$/.exec(segment);
        if (!param) return segment.replace(/[.*+?^$()|[\]\\{}]/g, '\\$&');
        names.push(param[1] ?? '');
        return '([^/]+)';
      })
      .join('/');
    const route = { template, pattern: new RegExp(`^${source}$`), names, byMethod: new Map<string, SpecOperation>() };
    routes.push(route);
    for (const method of METHODS) {
      const op = item[method] as JsonObject | undefined;
      if (!op) continue;
      const operationId = String(op.operationId);
      const requestBody = op.requestBody as JsonObject | undefined;
      const bodySchema = ((requestBody?.content as JsonObject | undefined)?.['application/json'] as JsonObject | undefined)?.schema as Json | undefined;
      const supplementary = SUPPLEMENTARY_BODIES[operationId];
      const operation: SpecOperation = {
        operationId,
        method: method.toUpperCase(),
        template,
        body: bodySchema !== undefined ? (requestBody?.required === true ? 'required' : 'optional') : supplementary ? 'required' : 'none',
      };
      if (bodySchema !== undefined) bodies.set(operationId, ajv.compile(toJsonSchema(bodySchema, strict) as object));
      else if (supplementary) bodies.set(operationId, ajv.compile(toJsonSchema(supplementary, strict) as object));
      const params = [...((item.parameters ?? []) as unknown as SpecParameter[]), ...((op.parameters ?? []) as unknown as SpecParameter[])];
      queries.set(
        operationId,
        params
          .filter((p) => p.in === 'query')
          .map((p) => ({ name: p.name, required: p.required === true, validate: loose.compile(toJsonSchema(p.schema ?? {}, false) as object) })),
      );
      route.byMethod.set(operation.method, operation);
      operations.push(operation);
    }
  }

  return {
    operations,
    route(method, path) {
      for (const route of routes) {
        const m = route.pattern.exec(path);
        if (!m) continue;
        const operation = route.byMethod.get(method.toUpperCase());
        if (!operation) return { kind: 'no-method', allow: [...route.byMethod.keys()] };
        const params: Record<string, string> = {};
        route.names.forEach((name, i) => (params[name] = decodeURIComponent(m[i + 1] ?? '')));
        return { kind: 'found', operation, params };
      }
      return { kind: 'no-path' };
    },
    checkBody(operation, body) {
      if (body === undefined) return operation.body === 'required' ? ['body: the request body is required'] : [];
      const validate = bodies.get(operation.operationId);
      if (!validate) return [`body: ${operation.operationId} takes no request body`];
      return validate(body) ? [] : (validate.errors ?? []).map(describe);
    },
    checkQuery(operation, query) {
      const problems: string[] = [];
      for (const p of queries.get(operation.operationId) ?? []) {
        const raw = query.get(p.name);
        if (raw === null) {
          if (p.required) problems.push(`query: ${p.name} is required`);
          continue;
        }
        // Query values are strings on the wire; read numbers and booleans the way a server would.
        let value: unknown = raw;
        if (/^-?\d+$/.test(raw)) value = Number(raw);
        else if (raw === 'true' || raw === 'false') value = raw === 'true';
        if (!p.validate(value) && !p.validate(raw)) problems.push(`query: ${p.name}=${raw} ${(p.validate.errors ?? []).map((e) => describe(e).replace(/^body: /, '')).join(', ')}`);
      }
      return problems;
    },
    checkComponent(name, value) {
      const validate = loose.getSchema(SCHEMA_ID + name);
      if (!validate) throw new Error(`no component schema ${name} in the Fly spec`);
      return validate(value) ? [] : (validate.errors ?? []).map(describe);
    },
  };
}
