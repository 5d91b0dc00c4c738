import type { HelmProvider } from '@cdktf/provider-helm/lib/provider';
import type { Release } from '@cdktf/provider-helm/lib/release';
import type { DataResource as DataResourceClass, LocalExecProvisioner, TerraformResource } from 'cdktf';
import { Construct } from 'constructs';
import { loadCdktf, loadHelmProvider, loadHelmRelease } from './cdktf-modules';
import type * as HelmValues from './helm-values';
import { KubeTarget, kubeTarget, terraformCommand } from './kube-target';
import { PlatformRelease } from './platform-options';
import { PlatformPlan } from './platform-plan';
import { checkArguments } from '../arguments/check-arguments';
import { headerText } from '../synth/header-marks';
import { fail } from '../validation';

/** Props of `CanaryPlatform`. */
export interface CanaryPlatformProps {
  /** The releases to declare: `new PlatformPlan({ engines, routers, prometheus })`. */
  readonly plan: PlatformPlan;

  /**
   * The Helm provider the releases use. Bring your own to give it the cluster's credentials, or an
   * alias when the stack manages several clusters.
   *
   * @default - a new `HelmProvider` without settings, which reads the kubeconfig named by the
   * `KUBE_CONFIG_PATH` environment variable
   */
  readonly provider?: HelmProvider;
}

/**
 * The platform as CDK for Terraform `helm_release`s (`@cdktf/provider-helm`), in a
 * `TerraformStack`: one `Release` per release of the plan, each depending on the releases it needs,
 * creating its namespace, with its values as one JSON document (sorted keys). What Helm does not
 * manage is applied by `terraform_data` resources the releases depend on (`prerequisites`): the
 * Gateway API CRDs, and the CRDs of the charts' `crds/` folders at every version (Helm never
 * upgrades those). The ingress proxies' Services are `ClusterIP` unless the plan says otherwise, so
 * Helm's wait succeeds on any cluster.
 *
 * cdktf and `@cdktf/provider-helm` are optional peer dependencies, loaded only when a
 * `CanaryPlatform` is created. CDK for Terraform was deprecated by HashiCorp in December 2025; it
 * still synthesizes, and `cdktf synth --hcl` writes plain Terraform to keep. `FluxPlatform`
 * renders the same plan for Flux.
 */
export class CanaryPlatform extends Construct {
  /** The plan the releases come from. */
  public readonly plan: PlatformPlan;
  /** The Helm provider of the releases (the one passed in, or the one created, id `Helm`). */
  public readonly provider: HelmProvider;
  /** One `helm_release` per release of the plan, in install order; construct id = release name. */
  public readonly releases: Release[];
  /**
   * The `terraform_data` resources that apply with kubectl what Helm does not: each bundle of
   * `plan.manifests` (id = its name, e.g. `gateway-api-crds`) and the CRDs of the charts that ship
   * them in `crds/` (id `<release>-crds`, e.g. `flagger-crds`), re-applied when the version changes.
   * They run `kubectl` (and `helm show crds`) on the machine that runs Terraform, with the
   * kubeconfig file and context of `provider` (`kubernetes.configPath`, `configContext`; without them,
   * `KUBE_CONFIG_PATH` and `KUBE_CTX`, as the provider reads them). Where no kubeconfig file is
   * named they use the in-cluster configuration in a pod, as the provider does, and stop with a
   * message elsewhere; they also stop when the environment sets another of the provider's cluster
   * settings (`KUBE_CONFIG_PATHS`, `KUBE_HOST`, `KUBE_TOKEN`, ...).
   */
  public readonly prerequisites: TerraformResource[];

  public constructor(scope: Construct, id: string, props: CanaryPlatformProps) {
    super(checkArguments<Construct>('CanaryPlatform.new', [scope, id, props]), id);
    const owner = `CanaryPlatform '${this.node.path}'`;
    const { TerraformStack } = loadCdktf(owner);
    try {
      TerraformStack.of(this);
    } catch {
      fail(owner, 'must be created inside a cdktf TerraformStack (helm_release resources belong to a stack)');
    }
    const helm = loadHelmProvider(owner);
    const { Release: HelmRelease } = loadHelmRelease(owner);
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const { renderHelmValues }: typeof HelmValues = require('./helm-values');

    this.plan = props.plan;
    this.provider = props.provider ?? new helm.HelmProvider(this, 'Helm', {});
    // JSON has no comments: Terraform ignores a property named "//" (cdktf keeps its own metadata
    // there), so the generated-file header is one more entry of it.
    TerraformStack.of(this).addOverride('//.generated', headerText(this.node.root, 'npx cdktf synth'));
    // What the plan cannot check and the cluster must provide: a warning `cdktf synth` prints, and
    // an entry beside the header for whoever reads the JSON.
    if (props.plan.notes.length > 0) {
      const { Annotations } = loadCdktf(owner);
      props.plan.notes.forEach((note) => Annotations.of(this).addWarning(note));
      TerraformStack.of(this).addOverride('//.notes', [...props.plan.notes]);
    }

    const { DataResource } = loadCdktf(owner);
    // The CRD steps run kubectl and helm against the provider's cluster, never the machine's current context.
    const steps = [
      ...props.plan.manifests.map((bundle) => bundle.name),
      ...props.plan.releases.filter((release) => release.chartCrds).map((release) => `${release.name}-crds`),
    ];
    const target = steps.length > 0 ? kubeTarget(owner, this.provider, steps) : undefined;
    // What Helm cannot install (the Gateway API CRDs exceed a release's 1 MiB): applied by kubectl
    // from their pinned release, again whenever the tag changes; the releases that need them
    // depend on this resource.
    const manifests = new Map<string, TerraformResource>();
    this.prerequisites = props.plan.manifests.map((bundle) => {
      const resource = new DataResource(this, bundle.name, {
        triggersReplace: { tag: bundle.tag, url: bundle.releaseUrl },
        provisioners: [kubectlApply(`${target!.preamble}kubectl apply ${target!.kubectlFlags} --server-side --force-conflicts -f "$MANIFESTS_URL"`,
          { ...target!.environment, MANIFESTS_URL: bundle.releaseUrl })],
      });
      manifests.set(bundle.name, resource);
      return resource;
    });

    const created = new Map<string, Release>();
    const releases: Release[] = [];
    for (const release of props.plan.releases) {
      // Helm installs a chart's crds/ once and never upgrades them: the CRDs of the chart's version
      // are applied before every install or version change, and Helm skips its own copy.
      const crds = release.chartCrds ? [this.chartCrds(release, DataResource, manifests, target!)] : [];
      crds.forEach((resource) => this.prerequisites.push(resource));
      const resource = new HelmRelease(this, release.name, {
        provider: this.provider,
        name: release.name,
        namespace: release.namespace,
        createNamespace: true,
        repository: release.repository,
        chart: release.chart,
        version: release.version,
        skipCrds: release.chartCrds ? true : undefined,
        values: Object.keys(release.values).length > 0 ? [renderHelmValues(release.values)] : undefined,
        // The plan lists every release after its dependencies.
        dependsOn: dependencies([
          ...release.dependsOnManifests.map((name) => manifests.get(name)!),
          ...crds,
          ...release.dependsOn.map((name) => created.get(name)!),
        ]),
      });
      created.set(release.name, resource);
      releases.push(resource);
    }
    this.releases = releases;
  }

  private chartCrds(release: PlatformRelease, dataResource: typeof DataResourceClass, manifests: Map<string, TerraformResource>,
    target: KubeTarget): TerraformResource {
    const oci = release.repository.startsWith('oci://');
    // The values reach the shell as environment variables or quoted words (the cluster's), never as
    // unquoted text of the command.
    const show = oci
      ? `helm show crds "$CHART_REPOSITORY/$CHART" --version "$CHART_VERSION" ${target.helmFlags}`
      : `helm show crds "$CHART" --repo "$CHART_REPOSITORY" --version "$CHART_VERSION" ${target.helmFlags}`;
    return new dataResource(this, `${release.name}-crds`, {
      triggersReplace: { chart: release.chart, repository: release.repository, version: release.version },
      provisioners: [kubectlApply(`${target.preamble}${show} | kubectl apply ${target.kubectlFlags} --server-side --force-conflicts -f -`, {
        ...target.environment, CHART: release.chart, CHART_REPOSITORY: release.repository, CHART_VERSION: release.version,
      })],
      dependsOn: dependencies(release.dependsOnManifests.map((name) => manifests.get(name)!)),
    });
  }

  /**
   * The `helm_release` of the release named `name` (e.g. `flagger`); fails if the plan has none.
   *
   * @param name a release name of the plan
   */
  public release(name: string): Release {
    checkArguments('CanaryPlatform.release', [name]);
    const index = this.plan.releases.findIndex((release) => release.name === name);
    if (index < 0) {
      fail(`CanaryPlatform '${this.node.path}'`, `there is no release named '${name}'; the releases are ${this.plan.releaseNames.join(', ')}`);
    }
    return this.releases[index];
  }
}

/** A local-exec provisioner running `command` with `sh -c`, the values it uses in its environment. */
function kubectlApply(command: string, environment: { [name: string]: string }): LocalExecProvisioner {
  return { type: 'local-exec', interpreter: ['/bin/sh', '-c'], command: terraformCommand(command), environment };
}

function dependencies(resources: TerraformResource[]): TerraformResource[] | undefined {
  return resources.length > 0 ? resources : undefined;
}
