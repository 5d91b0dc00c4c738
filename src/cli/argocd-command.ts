import { declarationProblems } from './declaration-problems';
import { loadApps } from './load-app';
import { GitOps, GitOpsTool } from '../gitops/gitops';
import { gitOpsAwareServices, gitOpsFactory } from '../gitops/gitops-marks';
import { stringifyYaml } from '../synth/yaml-writer';

/**
 * Prints the part of an Argo CD Application that keeps Argo CD from undoing what the controllers
 * rewrite, for every CanaryService of the app: `spec.ignoreDifferences` and the sync options that
 * make syncs respect it. Returns 1, printing why, when a service whose objects a controller rewrites
 * is declared for another tool (its output is not what an Application of these settings may apply)
 * or has mistakes; 0 with a comment when nothing needs ignoring.
 */
export function argoCdCommand(entry: string, out: (text: string) => void): number {
  const apps = loadApps(entry);
  const problems = declarationProblems(apps);
  if (problems.length > 0) {
    out(problems.map((problem) => `${problem}\n`).join(''));
    return 1;
  }
  const services = apps.flatMap((app) => gitOpsAwareServices(app)).filter((service) => service.controllerRewrites.length > 0);
  const elsewhere = services.filter((service) => service.gitOpsTool !== GitOpsTool.ARGO_CD);
  if (elsewhere.length > 0) {
    out(elsewhere.map((service) => `[${service.node.path}] CanaryService '${service.name}' is declared with ${gitOpsFactory(service.gitOpsTool!)}, `
      + `so no Argo CD settings are printed for ${service.controllerRewrites.map((o) => `${o.kind} '${o.name}'`).join(', ')}: `
      + 'declare it with gitOps: GitOps.argoCd() if an Argo CD Application applies its files\n').join(''));
    return 1;
  }
  const entries = apps.flatMap((app) => GitOps.argoCdIgnoreDifferences(app));
  if (entries.length === 0) {
    out(`# nothing to ignore: no CanaryService of '${entry}' has objects a controller rewrites (Flagger creates and owns its routing objects)\n`);
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
