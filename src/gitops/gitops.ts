import { IConstruct } from 'constructs';
import { RewrittenObject } from './controller-rewrites';
import { gitOpsAwareServices } from './gitops-marks';
import { checkArguments } from '../arguments/check-arguments';

/** The GitOps tool that applies the synthesized files. */
export enum GitOpsTool {
  /** Flux (kustomize-controller). */
  FLUX = 'flux',
  /** Argo CD. */
  ARGO_CD = 'argo-cd',
  /** No GitOps tool applies the output again (declared with `GitOps.none()`). */
  NONE = 'none',
}

/**
 * How the objects a controller rewrites are marked for the GitOps tool that applies the output,
 * so that it does not fight the controller (e.g. reset Argo Rollouts' weights to the ones in Git in
 * the middle of a release).
 *
 * No output is safe under both tools at once: Flux reads a per-object annotation, while Argo CD
 * can only be told in the Application (`spec.ignoreDifferences`). So a service whose controller
 * rewrites objects of the output (every Argo Rollouts service) must say which tool applies it:
 * without `gitOps` its declaration fails at synth, naming the three choices.
 */
export abstract class GitOps {
  /**
   * Sync options for the Application: `RespectIgnoreDifferences=true` keeps the live value of
   * ignored fields when Argo CD syncs (otherwise a sync applies Git's weights again), and
   * `ApplyOutOfSyncOnly=true` leaves objects that are in sync alone, as the Argo Rollouts docs
   * advise (docs/features/traffic-management/istio.md, "Integrating with GitOps").
   */
  public static readonly ARGO_CD_SYNC_OPTIONS: string[] = ['ApplyOutOfSyncOnly=true', 'RespectIgnoreDifferences=true'];

  /**
   * Flux: every object whose fields the controller rewrites gets the annotation
   * `kustomize.toolkit.fluxcd.io/ssa: IfNotPresent` (Flux 2.1 or later): Flux creates it and then
   * leaves it to the controller; it still prunes it. Later changes to those objects in Git are not
   * applied: to land one, between releases, commit the objects without the annotation for one
   * reconcile (`GitOps.none()`), then with it again. (Deleting the object in the cluster also works,
   * but its route is gone until Flux creates it again.)
   */
  public static fluxCd(): GitOps {
    return new ToolGitOps(GitOpsTool.FLUX);
  }

  /**
   * Argo CD: nothing is added to the objects (Argo CD has no per-object annotation to ignore
   * fields); the fields to ignore are listed for the Application's `spec.ignoreDifferences` by
   * `GitOps.argoCdIgnoreDifferences(app)` and `npx cdk8s-canary argocd`, to be used with the sync
   * options in `GitOps.ARGO_CD_SYNC_OPTIONS`
   * (https://argo-cd.readthedocs.io/en/stable/user-guide/diffing/,
   * https://argo-cd.readthedocs.io/en/stable/user-guide/sync-options/#respect-ignore-difference-configs).
   */
  public static argoCd(): GitOps {
    return new ToolGitOps(GitOpsTool.ARGO_CD);
  }

  /**
   * No GitOps tool applies the output again (e.g. `kubectl apply` once per release from a
   * pipeline), or you configure yours yourself from `CanaryService.controllerRewrites`: nothing is
   * marked, and the plan lists what a tool that applies the files again must leave alone.
   */
  public static none(): GitOps {
    return new ToolGitOps(GitOpsTool.NONE);
  }

  /**
   * The `spec.ignoreDifferences` entries for an Argo CD Application that applies the app's output:
   * one per object a controller rewrites, of every CanaryService declared with `GitOps.argoCd()`.
   *
   * @param scope any construct of the app
   */
  public static argoCdIgnoreDifferences(scope: IConstruct): RewrittenObject[] {
    checkArguments('GitOps.argoCdIgnoreDifferences', [scope]);
    return gitOpsAwareServices(scope)
      .filter((service) => service.gitOpsTool === GitOpsTool.ARGO_CD)
      .flatMap((service) => service.controllerRewrites);
  }

  /** The tool. */
  public abstract readonly tool: GitOpsTool;
}

class ToolGitOps extends GitOps {
  constructor(public readonly tool: GitOpsTool) {
    super();
  }
}
