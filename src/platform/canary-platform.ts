import type { HelmProvider } from '@cdktf/provider-helm/lib/provider';
import type { Release } from '@cdktf/provider-helm/lib/release';
import { Construct } from 'constructs';
import { loadCdktf, loadHelmProvider, loadHelmRelease } from './cdktf-modules';
import type * as HelmValues from './helm-values';
import { PlatformPlan } from './platform-plan';
import { checkArguments } from '../arguments/check-arguments';
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
 * creating its namespace, with its values as one JSON document (sorted keys).
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

    const created = new Map<string, Release>();
    this.releases = props.plan.releases.map((release) => {
      const resource = new HelmRelease(this, release.name, {
        provider: this.provider,
        name: release.name,
        namespace: release.namespace,
        createNamespace: true,
        repository: release.repository,
        chart: release.chart,
        version: release.version,
        values: Object.keys(release.values).length > 0 ? [renderHelmValues(release.values)] : undefined,
        // The plan lists every release after its dependencies.
        dependsOn: release.dependsOn.length > 0 ? release.dependsOn.map((name) => created.get(name)!) : undefined,
      });
      created.set(release.name, resource);
      return resource;
    });
    // What Helm cannot install (the Gateway API CRDs exceed a release's 1 MiB): one output per
    // bundle with the command that applies it, pinned, before `terraform apply`.
    const { TerraformOutput } = loadCdktf(owner);
    for (const manifests of props.plan.manifests) {
      new TerraformOutput(this, `prerequisite-${manifests.name}`, {
        description: `Apply before the Helm releases: ${manifests.name} ${manifests.tag} (no Helm chart carries them)`,
        value: `kubectl apply --server-side -f ${manifests.releaseUrl}`,
      });
    }
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
