import { RolloutSchema, type RolloutConfig } from '../../config/schema/rollout.js';

/** With no `rollout` block: start the new version, switch all traffic at once, stop the old one. */
export const DEFAULT_ROLLOUT: RolloutConfig = RolloutSchema.parse({ strategy: 'immediate' });
