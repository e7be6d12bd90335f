import { describe, expect, it } from 'vitest';
import { addressesOverlap } from '../../../src/config/listen-conflicts.js';
import { configErrorOf, loadText } from './helpers.js';

/** Each environment has an agent and a router of its own: two of them cannot listen on one address. */

const LOCAL = `app: demo
provider: { type: local, command: ["node", "s.js"] }
build: { command: ["make"], artifacts: [app] }
`;

describe('addressesOverlap', () => {
  it('is true for the same port on the same host, a wildcard, or localhost against a loopback address', () => {
    expect(addressesOverlap('127.0.0.1:3000', '127.0.0.1:3000')).toBe(true);
    expect(addressesOverlap(':3000', '127.0.0.1:3000')).toBe(true);
    expect(addressesOverlap('0.0.0.0:3000', '10.0.0.5:3000')).toBe(true);
    expect(addressesOverlap('[::]:3000', '[::1]:3000')).toBe(true);
    expect(addressesOverlap('localhost:3000', '127.0.0.1:3000')).toBe(true);
    expect(addressesOverlap('localhost:3000', '[::1]:3000')).toBe(true);
  });

  it('is false for different ports, or different specific hosts', () => {
    expect(addressesOverlap('127.0.0.1:3000', '127.0.0.1:3001')).toBe(false);
    expect(addressesOverlap('127.0.0.1:3000', '127.0.0.2:3000')).toBe(false);
    expect(addressesOverlap('localhost:3000', '10.0.0.5:3000')).toBe(false);
    expect(addressesOverlap('not an address', '127.0.0.1:3000')).toBe(false);
  });
});

describe('two environments on one address', () => {
  it('refuses two environments that inherit the default router address, naming both key paths', () => {
    const yaml = `${LOCAL}environments: { staging: {}, production: {} }\n`;
    expect(configErrorOf(yaml, 'staging').message.split('\n')).toEqual([
      'invalid config shipgate.yaml (environment "staging"):',
      '  provider.listen: the router of environment "staging" (127.0.0.1:3000, the default provider.listen) and the router of environment "production" (127.0.0.1:3000, the default provider.listen) would listen on the same address; each environment has an agent and a router of its own: give each its own address (environments.<name>.provider.listen)',
    ]);
  });

  it('names the environment block that sets the clashing address, and the base key it clashes with', () => {
    const yaml = `${LOCAL.replace('command: ["node", "s.js"]', 'command: ["node", "s.js"], listen: "127.0.0.1:4000"')}environments:
  staging: { provider: { listen: ":4000" } }
  production: {}
`;
    expect(configErrorOf(yaml, 'staging').issues).toEqual([
      'environments.staging.provider.listen: the router of environment "staging" (:4000, environments.staging.provider.listen) and the router of environment "production" (127.0.0.1:4000, provider.listen) would listen on the same address; each environment has an agent and a router of its own: give each its own address (environments.<name>.provider.listen)',
    ]);
    expect(configErrorOf(yaml, 'production').issues[0]).toMatch(/^provider\.listen: the router of environment "production" \(127\.0\.0\.1:4000, provider\.listen\) and the router of environment "staging"/);
  });

  it('refuses a TCP control port on another environment router, with interpolated addresses', () => {
    const yaml = `${LOCAL}environments:
  staging: { provider: { listen: "127.0.0.1:4000", control: { listen: "\${CONTROL}", token: "0123456789abcdef0123" } } }
  production: { provider: { listen: "127.0.0.1:5000" } }
`;
    expect(configErrorOf(yaml, 'production', { CONTROL: '127.0.0.1:5000' }).issues).toEqual([
      'environments.production.provider.listen: the router of environment "production" (127.0.0.1:5000, environments.production.provider.listen) and the control API of environment "staging" (127.0.0.1:5000, environments.staging.provider.control.listen) would listen on the same address; each environment has an agent and a router of its own: give each its own address (environments.<name>.provider.listen)',
    ]);
  });

  it('accepts different addresses, and an environment that is not local beside one on the default address', () => {
    const yaml = `${LOCAL}environments:
  staging: { provider: { listen: "127.0.0.1:4000" } }
  production: { provider: { listen: "127.0.0.1:5000" } }
`;
    expect(loadText(yaml, 'staging').environment).toBe('staging');
    const mixed = `app: demo
environments:
  staging: { provider: { type: command, deploy: ["./deploy.sh"] } }
  production: { provider: { type: local, command: ["node", "s.js"] }, build: { command: ["make"], artifacts: [app] } }
`;
    expect(loadText(mixed, 'staging').environment).toBe('staging');
    expect(loadText(mixed, 'production').environment).toBe('production');
  });
});
