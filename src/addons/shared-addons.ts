import { IConstruct } from 'constructs';
import { configureSharing } from './namespace-singleton';
import { checkArguments } from '../arguments/check-arguments';

/**
 * Who owns the add-ons an app's services share in a namespace (and the namespaces' Argo Rollouts
 * notification configuration), and where the platform's RBAC goes.
 */
export interface SharedAddonsOptions {
  /**
   * The app's name among the apps (repositories, teams) that deploy services into the same
   * namespace. Each app then runs add-ons of its own there, named after it: the Prometheus
   * `canary-prometheus-<appName>`, the loadtester `flagger-loadtester-<appName>`, in the file
   * `canary-shared-<namespace>-<appName>.k8s.yaml`. No object of one app is written by another, so
   * neither overwrites the other's scrape rules or NetworkPolicy egress, and retiring one app (its
   * files deleted, its objects pruned) leaves the other's add-ons running. A DNS label of at most
   * 44 characters (the loadtester's Service name is a DNS label of at most 63).
   *
   * @default - none: the namespace's add-ons are `canary-prometheus` and `flagger-loadtester`, in
   * `canary-shared-<namespace>.k8s.yaml`, which assumes one app per namespace
   */
  readonly appName?: string;

  /**
   * Where the RBAC the app needs in namespaces it does not own goes (the Role and RoleBinding that
   * let the embedded Prometheus list the router's pods, e.g. in `traefik`): a Chart
   * `canary-platform-rbac.k8s.yaml` (`canary-platform-rbac-<appName>.k8s.yaml` with an `appName`)
   * under the app of this construct. Give a construct of a second `App` with an `outdir` of its own
   * for the file to hand to the platform team; give the app itself to keep the file beside the
   * services' files (which a namespace-scoped GitOps reconciler is not allowed to apply).
   *
   * @default - not synthesized: the rollout plan names the Roles the platform team must grant
   */
  readonly platformRbacScope?: IConstruct;

  /**
   * The namespaces whose Argo Rollouts notification configuration this named app owns and writes:
   * the ConfigMap `argo-rollouts-notification-configmap`, which the controller reads by that name,
   * one per namespace, for every Rollout there (self-service notifications). Two apps that both
   * wrote it would each drop the other's services and triggers at every apply, so in a named app a
   * service with Argo Rollouts `alerts` fails the synth unless its namespace is listed here; no
   * other app of that namespace may then declare Argo Rollouts alerts (the plan says so). Needs
   * `appName`: an unnamed app is the only one of its namespaces and owns their configuration.
   *
   * @default - none: the app declares no Argo Rollouts alerts in a namespace it shares
   */
  readonly argoNotificationNamespaces?: string[];
}

/**
 * App-wide settings of the add-ons the services of a namespace share (the embedded Prometheus, the
 * loadtester): which app owns them, so that several apps can deploy into one namespace, and where
 * the RBAC in the platform's namespaces goes. Configure before the first CanaryService is declared.
 */
export class SharedAddons {
  /**
   * Sets the owner of the shared add-ons and the place of the platform's RBAC for the app of `scope`.
   *
   * @param scope any construct of the app
   * @param options the app's name and the scope of the platform's RBAC
   */
  public static configure(scope: IConstruct, options: SharedAddonsOptions): void {
    checkArguments('SharedAddons.configure', [scope, options]);
    const owned = options.argoNotificationNamespaces;
    configureSharing(scope, { ...options, argoNotificationNamespaces: owned ? [...owned] : undefined });
  }

  private constructor() {}
}
