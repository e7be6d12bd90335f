import { userInfo } from 'node:os';

/** Who is acting: an explicit name, then SHIPGATE_ACTOR, GITHUB_ACTOR, USER, the OS user. */
export function resolveActor(flag: string | undefined, env: NodeJS.ProcessEnv = process.env): string {
  const name = flag ?? env.SHIPGATE_ACTOR ?? env.GITHUB_ACTOR ?? env.USER ?? osUser();
  return name.trim() || 'unknown';
}

function osUser(): string {
  try {
    return userInfo().username;
  } catch {
    return 'unknown';
  }
}
