import { describe, expect, it } from 'vitest';
import { ProviderSchema } from '../../../src/config/schema/index.js';
import { createProvider } from '../../../src/providers/index.js';
import { CAPABILITIES, capabilitiesOf, lacking } from '../../../src/providers/capabilities.js';
import { noSessionMessage } from '../../../src/cli/commands/rollout-control.js';

const configs = {
  local: { type: 'local', command: ['node', 'server.js'] },
  fly: { type: 'fly', app: 'hotdash', regions: ['ams'] },
  command: { type: 'command', deploy: ['true'] },
};

describe('provider capabilities', () => {
  it('each provider carries the capabilities the CLI reads before loading it', () => {
    for (const [type, cfg] of Object.entries(configs)) {
      const provider = createProvider(ProviderSchema.parse(cfg));
      expect(provider.type).toBe(type);
      expect(provider.capabilities).toBe(CAPABILITIES[type]);
    }
    // A config without a provider runs the local one.
    expect(capabilitiesOf(null)).toBe(CAPABILITIES.local);
  });

  it('a provider that lacks a capability says so, who has it, and what to do instead', () => {
    expect(noSessionMessage('promote-full', 'command')).toBe(
      'provider type command has no rollout session, so `shipgate promote --full` cannot steer its rollout (provider type local and fly have): its scripts switch all at once; stop a deploy in progress with Ctrl-C, which undoes it',
    );
    expect(lacking('fly', 'logs', 'no instance logs on this host')).toBe('provider type fly has no instance logs on this host (provider type local has): Fly.io keeps them: `flyctl logs -a APP` (or its log shipper)');
  });
});
