import type { LoadedConfig } from '../config/load.js';
import { readConfigDocument } from '../config/document.js';
import { lookup } from '../config/interpolate.js';
import type { KnownSecret } from '../gates/contract.js';
import { isSecretName } from '../runtime/secrets.js';
import { secretReferences, type SecretReference } from './references.js';

/** The config's secret references, read again from its file; none when the file cannot be read now (the names are only for messages). */
function referencesOf(loaded: LoadedConfig): SecretReference[] {
  try {
    return secretReferences(readConfigDocument(loaded.path), loaded.environment);
  } catch {
    return [];
  }
}

/**
 * Every secret value the loaded config knows (what its masker masks: `${VAR}`
 * secrets, `secrets:`, literal secret keys, URL passwords, secret-looking
 * variables of the environment), each with the variable or key it came from when
 * that can be told, so a finding says "the value of FLY_API_TOKEN".
 */
export function knownSecrets(loaded: LoadedConfig, env: NodeJS.ProcessEnv): KnownSecret[] {
  const nameOf = new Map<string, string>();
  const name = (value: string | undefined, n: string): void => void (value && !nameOf.has(value) && nameOf.set(value, n));
  for (const ref of referencesOf(loaded)) {
    if (ref.source === 'env') name(lookup(env, ref.name), ref.name);
    else name(ref.written[0], ref.name);
  }
  for (const [n, value] of Object.entries(env)) if (isSecretName(n)) name(value, n);
  return loaded.masker.values().map((value) => ({ name: nameOf.get(value) ?? null, value }));
}
