import { describe, expect, it } from 'vitest';
import { instanceBaseEnv } from '../../../../src/agent/daemon/instance-env.js';

describe('the environment instances inherit from the agent', () => {
  it('keeps what a process needs to run and nothing else (no CI secrets, no control token)', () => {
    const env = instanceBaseEnv({
      PATH: '/usr/bin',
      HOME: '/home/deploy',
      LANG: 'C.UTF-8',
      LC_ALL: 'C.UTF-8',
      TZ: 'UTC',
      GITHUB_TOKEN: 'ghp_secret',
      SHIPGATE_AGENT_TOKEN: 'agent-secret',
      AWS_SECRET_ACCESS_KEY: 'aws-secret',
      npm_config_cache: '/x',
    });
    expect(env).toEqual({ PATH: '/usr/bin', HOME: '/home/deploy', LANG: 'C.UTF-8', LC_ALL: 'C.UTF-8', TZ: 'UTC' });
  });
});
