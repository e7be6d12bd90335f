import type { DeploymentRow, Store } from '../store/contract.js';
import { isDataOnly, rollbackFactsOf } from './rollback-type.js';

/** The deployment whose app is live: a data-only rollback changed no app, so look through it to the one it sat on. */
export async function appLive(store: Store, row: DeploymentRow | undefined): Promise<DeploymentRow | undefined> {
  let current = row;
  for (let hops = 0; current && isDataOnly(rollbackFactsOf(current.meta)?.type) && hops < 1000; hops++) {
    const under = rollbackFactsOf(current.meta)!.live;
    current = under ? await store.getDeployment(under) : undefined;
  }
  return current;
}
