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

/** What `argoCdIgnoreDifferences` reads from a service. */
export interface IGitOpsAware {
  /** The tool the service was declared for, if any. */
  readonly gitOpsTool?: GitOpsTool;
  /** The objects of the service a controller rewrites. */
  readonly controllerRewrites: RewrittenObject[];
}
