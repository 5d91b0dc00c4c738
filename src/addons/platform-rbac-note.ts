import { IConstruct } from 'constructs';
import { platformRbacChartId, sharingOf } from './namespace-singleton';
import type { Prometheus } from './prometheus';

/**
 * The plan note on the Roles an embedded Prometheus needs in namespaces the team does not own (the
 * router's): where they were written, or, when nowhere, what the platform team must grant. Under
 * Flux's multi-tenancy lockdown a team's Kustomization runs as a service account of the team's
 * namespace, which may not write in `traefik`: one forbidden object fails the whole apply.
 */
export function platformRbacNote(scope: IConstruct, prometheus: Prometheus): string {
  const namespaces = prometheus.platformRoleNamespaces;
  const listed = namespaces.map((ns) => `'${ns}'`).join(', ');
  const roles = namespaces.map((ns) => `Role and RoleBinding '${ns}/${prometheus.roleNameIn(ns)}'`).join(', ');
  const head = `the Prometheus '${prometheus.namespace}/${prometheus.name}' lists pods in ${listed} (the router's series)`;
  const target = sharingOf(scope).platformRbacScope;
  const file = `${platformRbacChartId(scope)}.k8s.yaml`;
  if (target === undefined) {
    return `${head}, which the platform team must allow: a ${roles} (list and watch on pods, bound to ServiceAccount `
      + `'${prometheus.namespace}/${prometheus.name}'). They are not synthesized (a team's namespace-scoped GitOps reconciler may not write there): `
      + `SharedAddons.configure(app, { platformRbacScope: platformApp }) writes them to ${file} in another App's outdir, the file to hand to `
      + 'the platform team. Without them Prometheus keeps no router series and every check of the router has no data';
  }
  if (target.node.root === scope.node.root) {
    return `${head}: its ${roles} are in ${file}, beside the services' files. Hand that file to the platform team and keep it out of the team's `
      + "GitOps (a kustomization.yaml 'resources' list without it, or SharedAddons.configure's 'platformRbacScope' set to another App; a "
      + `'.sourceignore' line '${file}' would remove it from every GitRepository reading the repository, the platform team's included): `
      + 'a namespace-scoped reconciler (Flux multi-tenancy lockdown) may not write there, and the forbidden Role fails the whole apply';
  }
  return `${head}: its ${roles} are in ${file}, in the outdir of the App given as SharedAddons.configure's 'platformRbacScope', `
    + "not in this app's: hand that file to the platform team, whose reconciler may write there (a team's namespace-scoped one may not)";
}
