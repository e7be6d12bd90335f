import { lightConfig } from '../context.js';
import { EXIT } from '../exit-codes.js';
import { table, type GlobalOptions, type Output } from '../output.js';
import { openStore } from '../../store/index.js';

/** `shipgate releases`: kept releases, newest first, with what is live where. */
export async function releasesCommand(flags: GlobalOptions, out: Output): Promise<number> {
  const settings = await lightConfig(flags, out);
  const store = await openStore(settings.storeUrl, { root: settings.root });
  try {
    const releases = await store.listReleases(settings.app);
    const marks = new Map<string, string[]>();
    const mark = (v: string | null | undefined, text: string): void => void (v && marks.set(v, [...(marks.get(v) ?? []), text]));
    for (const env of settings.environments) {
      const live = await store.lastSucceeded(settings.app, env);
      mark(live?.version, `live in ${env}`);
      mark(live?.previousVersion, `rollback target in ${env}`);
    }
    if (out.json) {
      out.result(releases.map((r) => ({ version: r.version, created_at: r.createdAt, dir: r.dir, manifest_sha256: r.manifestSha256, artifacts: r.artifacts, marks: marks.get(r.version) ?? [] })));
    } else if (releases.length === 0) {
      out.line('no releases yet');
    } else {
      out.line(table(['VERSION', 'CREATED', 'WHERE', 'DIR'], releases.map((r) => [r.version, r.createdAt.replace('T', ' ').slice(0, 19), (marks.get(r.version) ?? []).join(', ') || '-', r.dir ?? '(no build)'])));
    }
    return EXIT.ok;
  } finally {
    await store.close();
  }
}
