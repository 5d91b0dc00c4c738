import { IConstruct } from 'constructs';
import { RewrittenObject } from './controller-rewrites';
import { GitOpsTool } from './gitops';

/**
 * The annotation Flux's kustomize-controller reads for its apply policy; `IfNotPresent` (Flux 2.1
 * and later) creates the object and never updates it, so Flux does not reset what a controller
 * rewrites (https://fluxcd.io/flux/components/kustomize/kustomizations/#controlling-the-apply-behavior-of-resources;
 * read in kustomize-controller internal/controller/kustomization_controller.go, IfNotPresentSelector,
 * and fluxcd/pkg ssa/manager_apply.go, which skips an existing object whose desired state carries it).
 * `Merge` would not do: it keeps only fields Git does not set, and the lists Argo Rollouts rewrites
 * (VirtualService `spec.http`, TraefikService `spec.weighted.services`, HTTPRoute `spec.rules`) and
 * the Service selector are atomic, so Flux would replace them whole.
 */
export const FLUX_SSA_ANNOTATION = 'kustomize.toolkit.fluxcd.io/ssa';
export const FLUX_SSA_IF_NOT_PRESENT = 'IfNotPresent';

/**
 * The mark every CanaryService carries (from any copy of this library); defined here so that the
 * GitOps helpers can find the services without importing the CanaryService module.
 */
export const CANARY_SERVICE_SYMBOL = Symbol.for('cdk8s-canary.CanaryService');

/** What `argoCdIgnoreDifferences` and the `argocd` command read from a service. */
export interface IGitOpsAware extends IConstruct {
  /** Name of the service. */
  readonly name: string;
  /** The tool the service was declared for, if any. */
  readonly gitOpsTool?: GitOpsTool;
  /** The objects of the service a controller rewrites. */
  readonly controllerRewrites: RewrittenObject[];
}

/** Every CanaryService of the app of `scope`, from any copy of this library. */
export function gitOpsAwareServices(scope: IConstruct): IGitOpsAware[] {
  return scope.node.root.node.findAll().filter((c): c is IGitOpsAware => (c as any)[CANARY_SERVICE_SYMBOL] === true);
}

/** How a declaration names a tool (a function: gitops.ts imports this module, so its enum is not there yet at load). */
export function gitOpsFactory(tool: GitOpsTool): string {
  switch (tool) {
    case GitOpsTool.FLUX: return 'GitOps.fluxCd()';
    case GitOpsTool.ARGO_CD: return 'GitOps.argoCd()';
    case GitOpsTool.NONE: return 'GitOps.none()';
  }
}

const objectList = (rewrites: RewrittenObject[]) => rewrites.map((o) => `${o.kind} '${o.name}'`).join(', ');

/**
 * The mistake of a declaration without `gitOps` whose controller rewrites objects of the output:
 * no output is safe under both Flux and Argo CD, so the choice cannot be defaulted.
 */
export function gitOpsRequired(controller: string, rewrites: RewrittenObject[]): string {
  return `'gitOps' (not set) is required with ${controller}, which rewrites ${objectList(rewrites)} during every release, `
    + 'and a GitOps tool that applies them again resets them in the middle of it: '
    + 'set gitOps: GitOps.fluxCd() (Flux creates them once and leaves them to the controller: kustomize.toolkit.fluxcd.io/ssa: IfNotPresent), '
    + "GitOps.argoCd() (the Application ignores the rewritten fields: 'npx cdk8s-canary argocd' prints its ignoreDifferences) "
    + 'or GitOps.none() (nothing applies the files again)';
}

/** The plan's note on what the GitOps tool must leave alone; undefined when the controller rewrites nothing. */
export function gitOpsPlanNote(tool: GitOpsTool | undefined, controller: string, rewrites: RewrittenObject[]): string | undefined {
  if (rewrites.length === 0) return undefined;
  const objects = objectList(rewrites);
  switch (tool) {
    case GitOpsTool.FLUX:
      return `GitOps (Flux): ${controller} rewrites ${objects} during a release; Flux creates them once and then leaves them alone `
        + '(kustomize.toolkit.fluxcd.io/ssa: IfNotPresent), so a later change to them in Git is not applied: to land one, between releases, '
        + 'commit them for one reconcile without the annotation (gitOps: GitOps.none()) and then with it again; '
        + 'deleting them in the cluster instead cuts their traffic until Flux creates them again';
    case GitOpsTool.ARGO_CD:
      return `GitOps (Argo CD): the Application must ignore the fields ${controller} rewrites in ${objects} and sync with `
        + "RespectIgnoreDifferences=true and ApplyOutOfSyncOnly=true; 'npx cdk8s-canary argocd' prints its ignoreDifferences";
    default:
      return `GitOps (${tool === GitOpsTool.NONE ? 'GitOps.none()' : 'not declared'}): whatever applies these files again must leave alone the fields ${controller} rewrites in ${objects} `
        + '(CanaryService.controllerRewrites lists them)';
  }
}
