import { declarationProblems } from './declaration-problems';
import { loadApps } from './load-app';
import { GitOps } from '../gitops/gitops';
import { stringifyYaml } from '../synth/yaml-writer';

/**
 * Prints the part of an Argo CD Application that keeps Argo CD from undoing what the controllers
 * rewrite, for every CanaryService of the app declared with `gitOps: GitOps.argoCd()`:
 * `spec.ignoreDifferences` and the sync options that make syncs respect it.
 */
export function argoCdCommand(entry: string, out: (text: string) => void): number {
  const apps = loadApps(entry);
  const problems = declarationProblems(apps);
  if (problems.length > 0) {
    out(problems.map((problem) => `${problem}\n`).join(''));
    return 1;
  }
  const entries = apps.flatMap((app) => GitOps.argoCdIgnoreDifferences(app));
  if (entries.length === 0) {
    out(`# no CanaryService in '${entry}' is declared with gitOps: GitOps.argoCd() and has objects a controller rewrites\n`);
    return 0;
  }
  const spec = {
    ignoreDifferences: entries.map(({ group, kind, name, namespace, jqPathExpressions }) => ({ group, kind, name, namespace, jqPathExpressions })),
    syncPolicy: { syncOptions: GitOps.ARGO_CD_SYNC_OPTIONS },
  };
  out(`# Add to the spec of the Argo CD Application that applies the output of '${entry}'.\n`
    + entries.map((e) => `# ${e.kind} ${e.namespace}/${e.name}: ${e.reason}\n`).join('')
    + stringifyYaml([spec]));
  return 0;
}
