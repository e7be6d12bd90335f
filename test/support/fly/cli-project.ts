/**
 * A shipgate project of the app `hotdash` on provider type fly, against a fake Machines API
 * the test starts: what the CLI tests of the fly provider share. `dispose` closes both.
 */
import { startFakeMachinesApi, type FakeMachinesApi } from './fake-machines-api.js';
import { makeProject, type Project } from '../project.js';

export const FLY_IMAGE = 'registry.fly.io/hotdash';

export interface FlyCliProject {
  fake: FakeMachinesApi;
  project: Project;
  dispose(): Promise<void>;
}

/** `strategy` and the `rollout:` block (with anything after it) vary; 3 machines in ams. */
export async function makeFlyCliProject(token: string, opts: { strategy: string; tail: string }): Promise<FlyCliProject> {
  const fake = await startFakeMachinesApi({ token, delays: { create: 5, start: 10, stop: 5, destroy: 5, checks: 10 } });
  fake.addApp('hotdash');
  const config = `app: hotdash
provider:
  type: fly
  app: hotdash
  image: "${FLY_IMAGE}:{version}"
  regions: [ams]
  machines: { min: 3 }
  strategy: ${opts.strategy}
  apiUrl: "${fake.url.replace(/\/v1$/, '')}"
  wait: 5s
${opts.tail}`;
  const project = await makeProject(config, {});
  return {
    fake,
    project,
    async dispose() {
      await fake.close();
      await project.cleanup();
    },
  };
}
