import { z } from 'zod';
import { AgentApiError } from './errors.js';

/** Request bodies of the control API. Errors name the field: `spec.argv: expected ...`. */

const name = z.string().regex(/^[A-Za-z0-9][A-Za-z0-9._+-]{0,63}$/, { error: 'expected a version name' });

export const ConfigureBody = z.strictObject({
  app: z.string().min(1),
  listen: z.string().min(3),
  router: z.strictObject({
    stickyCookie: z.union([z.literal(false), z.string().min(1)]),
    versionHeader: z.boolean(),
    bodyLimit: z.number().int().positive(),
    retry: z.boolean(),
    ejectAfter: z.union([z.literal(false), z.number().int().positive()]).optional(),
  }),
});

export const VersionSpecBody = z.strictObject({
  version: name,
  releaseDir: z.string().regex(/^\//, { error: 'expected an absolute path' }),
  argv: z.array(z.string()).min(1),
  env: z.record(z.string(), z.string()),
  readiness: z.strictObject({
    path: z.string().regex(/^\//),
    intervalMs: z.number().int().positive(),
    timeoutMs: z.number().int().positive(),
    graceMs: z.number().int().positive(),
    expect: z.array(z.number().int()).optional(),
  }),
  stopTimeoutMs: z.number().int().positive(),
});

export const SpecBody = z.strictObject({ spec: VersionSpecBody });
export const EnsureBody = z.strictObject({ spec: VersionSpecBody, count: z.number().int().min(0).max(64) });
export const WeightsBody = z.strictObject({ weights: z.record(name, z.number()), reason: z.string().max(200).optional() });
export const VersionBody = z.strictObject({ version: name });
export const KeepWarmBody = z.strictObject({ version: name, untilMs: z.number().int().positive() });
export const RolloutBeginBody = z.strictObject({ id: z.string().min(1).max(80), stable: name.nullable(), candidate: name, deadmanMs: z.number().int().min(1000) });
export const RolloutIdBody = z.strictObject({ id: z.string().min(1).max(80) });
export const CommandBody = z.strictObject({ command: z.enum(['promote', 'promote-full', 'abort', 'pause', 'resume']) });
export const StopBody = z.strictObject({ stopInstances: z.boolean() });

/** Parses a body or throws a 400 whose message names each bad field. */
export function parseBody<T>(schema: z.ZodType<T>, body: unknown): T {
  const r = schema.safeParse(body);
  if (r.success) return r.data;
  const lines = r.error.issues.map((i) => `${i.path.length ? i.path.join('.') : '(body)'}: ${i.message}`);
  throw new AgentApiError(400, lines.join('; '));
}
