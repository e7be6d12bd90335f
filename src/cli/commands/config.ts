import { dump } from 'js-yaml';
import { loadConfig, validateAllEnvironments } from '../../config/load.js';
import { configJsonSchema } from '../../config/json-schema.js';
import { maskStoreUrl } from '../../store/url.js';
import { EXIT } from '../exit-codes.js';
import type { GlobalOptions, Output } from '../output.js';

/** `shipgate config validate`: every environment (or the one asked for). */
export async function configValidateCommand(flags: GlobalOptions, out: Output): Promise<number> {
  const { environments, errors, path } = validateAllEnvironments({ configPath: flags.config, environment: flags.env });
  if (out.json) {
    const issues = errors.flatMap((e) => (e.details.length > 0 ? e.details : [{ path: null, message: e.message }]));
    // A problem of the base config is met once per environment; each is listed once.
    const unique = [...new Map(issues.map((i) => [`${i.path}\u0000${i.message}`, i])).values()];
    out.result({ valid: errors.length === 0, environments, errors: errors.flatMap((e) => (e.issues.length > 0 ? e.issues : [e.message])), issues: unique, exit_code: errors.length === 0 ? EXIT.ok : EXIT.usage });
  } else if (errors.length === 0) {
    out.line(`config is valid for ${environments.join(', ')} (${path})`);
  } else {
    for (const e of errors) out.err(e.message);
  }
  return errors.length === 0 ? EXIT.ok : EXIT.usage;
}

/** `shipgate config print --env E`: the resolved config with defaults, secrets masked. */
export async function configPrintCommand(flags: GlobalOptions, out: Output): Promise<number> {
  const loaded = loadConfig({ configPath: flags.config, environment: flags.env });
  out.masker = loaded.masker;
  // The store URL's password is masked by its place in the URL, even one too short for the masker to look for.
  const config = { ...loaded.config, store: { ...loaded.config.store, url: maskStoreUrl(loaded.config.store.url) } };
  const resolved = loaded.masker.maskValue({ environment: loaded.environment, ...config });
  if (out.json) out.result(resolved);
  else out.line(`# ${loaded.path}\n${dump(resolved, { lineWidth: -1, noRefs: true }).trimEnd()}`);
  return EXIT.ok;
}

/** `shipgate config schema`: JSON Schema for editors. */
export async function configSchemaCommand(_flags: GlobalOptions, out: Output): Promise<number> {
  out.result(configJsonSchema());
  return EXIT.ok;
}
