/** Validation of GitHub workflow files against SchemaStore's published schema (test/fixtures, draft-07: ajv's default). */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Ajv, type ErrorObject } from 'ajv';
import { REPO_ROOT } from './project.js';

const schema = JSON.parse(readFileSync(join(REPO_ROOT, 'test/fixtures/github-workflow.schema.json'), 'utf8')) as object;
// strict: false: the schema uses keywords outside the draft (e.g. markdownDescription) that ajv would refuse.
const validate = new Ajv({ strict: false, allErrors: true }).compile(schema);

/** The schema's complaints about `workflow` (parsed YAML), one line each; empty when it is valid. */
export function workflowSchemaErrors(workflow: unknown): string[] {
  if (validate(workflow)) return [];
  return (validate.errors ?? []).map((e: ErrorObject) => `${e.instancePath || '/'} ${e.message ?? ''} ${JSON.stringify(e.params)}`);
}
