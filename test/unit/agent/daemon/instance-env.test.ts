import { describe, expect, it } from 'vitest';
import { agentProcessEnv, instanceBaseEnv } from '../../../../src/agent/daemon/instance-env.js';

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

describe('the environment a detached agent starts with', () => {
  it('is the instances allowlist plus the systemd socket: no deployer tokens, no control token from the caller', () => {
    const env = agentProcessEnv({
      PATH: '/usr/bin',
      HOME: '/home/deploy',
      NOTIFY_SOCKET: '/run/systemd/notify',
      GITHUB_TOKEN: 'ghp_secret',
      SHIPGATE_AGENT_TOKEN: 'from-the-caller-env',
      AWS_SECRET_ACCESS_KEY: 'aws-secret',
      NODE_OPTIONS: '--require /tmp/x.js',
    });
    expect(env).toEqual({ PATH: '/usr/bin', HOME: '/home/deploy', NOTIFY_SOCKET: '/run/systemd/notify' });
  });
});
