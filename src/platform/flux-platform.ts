import { ApiObject, Chart, Duration } from 'cdk8s';
import { Construct } from 'constructs';
import { FLUX_NAMESPACE } from './conventions';
import { PlatformPlan } from './platform-plan';
import { checkArguments } from '../arguments/check-arguments';
import { fluxHelmImports, fluxKustomizeImports, fluxSourceImports } from '../generated-imports';
import { checkEmittedObjects } from '../synth/object-validity';
import { checkDnsLabel, checkDnsSubdomain, checkInteger, checkWholeSeconds, fail, toLongDuration } from '../validation';

/**
 * Where `FluxPlatform` writes the HelmReleases that need manifests the plan applies from Git (the
 * Gateway API CRDs): a chart of their own, applied by a Kustomization that depends on those
 * manifests. A HelmRelease can only depend on HelmReleases, so this is how Flux orders them.
 */
export interface FluxDependentReleases {
  /**
   * The cdk8s Chart (its own file) the HelmReleases are written to. It must not be the chart of the
   * `FluxPlatform`.
   */
  readonly chart: Chart;
  /**
   * The folder of the Git repository that holds that chart's file, alone: the Kustomization's
   * `path`. It must be a folder the cluster's own Kustomization does not apply, or the releases
   * would be applied before the manifests they need.
   */
  readonly path: string;
  /**
   * The `GitRepository` (in the `FluxPlatform`'s namespace) that holds `path`.
   *
   * @default 'flux-system' - the repository `flux bootstrap` creates
   */
  readonly sourceName?: string;
}

/** The media type of a Helm chart's layer in an OCI artifact. */
const HELM_CHART_LAYER = 'application/vnd.cncf.helm.chart.content.v1.tar+gzip';

/** Props of `FluxPlatform`. */
export interface FluxPlatformProps {
  /** The releases to render: the same `PlatformPlan` a `CanaryPlatform` takes. */
  readonly plan: PlatformPlan;

  /**
   * Namespace of the `HelmRepository` and `HelmRelease` objects (Flux's own, usually).
   *
   * @default 'flux-system'
   */
  readonly namespace?: string;

  /**
   * How often Flux reconciles each release (whole seconds).
   *
   * @default Duration.minutes(10)
   */
  readonly interval?: Duration;

  /**
   * How often Flux fetches each repository's index (whole seconds).
   *
   * @default Duration.hours(1)
   */
  readonly repositoryInterval?: Duration;

  /**
   * How many times Flux retries a failed install or upgrade of a release (uninstalling, or rolling
   * back, in between), before it stops and reports the release stalled. After the last failed
   * upgrade it rolls back (`remediateLastFailure`).
   *
   * @default 3
   */
  readonly remediationRetries?: number;

  /**
   * Where the HelmReleases that need the plan's `manifests` (the Gateway API CRDs) are written, for
   * a Kustomization that depends on them. Required when the plan has manifests (`GATEWAY_API`).
   *
   * @default - none: only for a plan without manifests
   */
  readonly dependentReleases?: FluxDependentReleases;
}

/**
 * The platform as Flux objects, for teams that install add-ons from their GitOps repository: one
 * `HelmRepository` (`source.toolkit.fluxcd.io/v1`) per chart repository and one `HelmRelease`
 * (`helm.toolkit.fluxcd.io/v2`) per release of the plan, with the same charts, versions, values
 * and order (`dependsOn`) as `CanaryPlatform` declares for Terraform. Releases create their target
 * namespace, keep their Helm storage there (as the Terraform provider does), install and upgrade
 * the charts' CRDs (`CreateReplace`), and retry a failed install or upgrade (`remediationRetries`).
 * Releases that need manifests applied from Git (the Gateway API CRDs) are written to
 * `dependentReleases.chart`, applied by a Kustomization that depends on those manifests' own.
 */
export class FluxPlatform extends Construct {
  /** The plan the objects come from. */
  public readonly plan: PlatformPlan;
  /** Namespace of the Flux objects. */
  public readonly namespace: string;
  /** One `HelmRepository` per repository of the plan, sorted by name; construct id `HelmRepository-<name>`. */
  public readonly helmRepositories: ApiObject[];
  /** One `HelmRelease` per release of the plan, in install order; construct id `HelmRelease-<name>`. */
  public readonly helmReleases: ApiObject[];
  /** One verified `OCIRepository` per release whose chart upstream signs (Flagger's); construct id `OCIRepository-<name>`. */
  public readonly ociRepositories: ApiObject[];
  /** A GitRepository and a Kustomization for each bundle of manifests the plan applies from Git (the Gateway API CRDs). */
  public readonly kustomizations: ApiObject[];
  /**
   * The Kustomization (`platform-releases`) that applies the HelmReleases of `dependentReleases`
   * once the manifests they need are ready; none without manifests.
   */
  public readonly dependentReleasesKustomization?: ApiObject;

  public constructor(scope: Construct, id: string, props: FluxPlatformProps) {
    super(checkArguments<Construct>('FluxPlatform.new', [scope, id, props]), id);
    checkEmittedObjects(this);
    const owner = `FluxPlatform '${this.node.path}'`;
    this.plan = props.plan;
    this.namespace = checkDnsLabel(owner, 'namespace', props.namespace ?? FLUX_NAMESPACE);
    const interval = toLongDuration(checkWholeSeconds(owner, 'interval', props.interval ?? Duration.minutes(10), 1));
    const repositoryInterval = toLongDuration(checkWholeSeconds(owner, 'repositoryInterval', props.repositoryInterval ?? Duration.hours(1), 1));
    const retries = checkInteger(owner, 'remediationRetries', props.remediationRetries ?? 3, 0, 100);
    const dependents = checkDependentReleases(owner, this, props);

    const source = fluxSourceImports();
    const kustomize = fluxKustomizeImports();
    const helm = fluxHelmImports();
    // A repository only releases installed from an unsigned chart read (Flagger's comes from its signed OCI artifact).
    const read = new Set(props.plan.releases.filter((release) => release.signedChart === undefined).map((release) => release.repositoryName));
    this.helmRepositories = props.plan.repositories.filter((repository) => read.has(repository.name)).map((repository) => new source.HelmRepository(this, `HelmRepository-${repository.name}`, {
      metadata: { name: repository.name, namespace: this.namespace },
      spec: {
        url: repository.url,
        interval: repositoryInterval,
        ...(repository.oci ? { type: source.HelmRepositorySpecType.OCI } : {}),
      },
    }));

    this.kustomizations = props.plan.manifests.map((manifests) => {
      const repository = new source.GitRepository(this, `GitRepository-${manifests.name}`, {
        metadata: { name: manifests.name, namespace: this.namespace },
        // The tag's commit: a tag moved upstream cannot change what is applied. With the branch that
        // holds it, Flux clones that branch alone (a commit alone fetches every branch), and the
        // sparse checkout keeps only the manifests' folder in the artifact.
        spec: {
          url: manifests.repository,
          ref: { branch: manifests.branch, commit: manifests.commit },
          sparseCheckout: [manifests.path.replace(/^\.\//, '')],
          interval: repositoryInterval,
        },
      });
      return new kustomize.Kustomization(this, `Kustomization-${manifests.name}`, {
        metadata: { name: manifests.name, namespace: this.namespace },
        spec: {
          interval,
          sourceRef: { kind: kustomize.KustomizationSpecSourceRefKind.GIT_REPOSITORY, name: repository.name },
          path: manifests.path,
          // CRDs: removing the bundle must not delete every route and gateway of the cluster.
          prune: false,
          wait: true,
        },
      });
    });

    if (dependents !== undefined) {
      this.dependentReleasesKustomization = new kustomize.Kustomization(this, 'Kustomization-platform-releases', {
        metadata: { name: 'platform-releases', namespace: this.namespace },
        spec: {
          interval,
          sourceRef: { kind: kustomize.KustomizationSpecSourceRefKind.GIT_REPOSITORY, name: dependents.sourceName ?? 'flux-system' },
          path: dependents.path,
          prune: true,
          dependsOn: props.plan.manifests.map((manifests) => ({ name: manifests.name })),
        },
      });
    }

    this.ociRepositories = props.plan.releases.filter((release) => release.signedChart !== undefined).map((release) => {
      const signed = release.signedChart!;
      // The typed classes cover the kinds read elsewhere; this one is written as the CRD (source.toolkit.fluxcd.io/v1) has it.
      return new ApiObject(this, `OCIRepository-${release.name}`, {
        apiVersion: 'source.toolkit.fluxcd.io/v1',
        kind: 'OCIRepository',
        metadata: { name: release.name, namespace: this.namespace },
        spec: {
          interval: repositoryInterval,
          url: signed.url,
          ref: { tag: signed.tag },
          layerSelector: { mediaType: HELM_CHART_LAYER, operation: 'copy' },
          // Cosign keyless: the signature must come from the chart's release workflow on a version tag.
          verify: { provider: 'cosign', matchOIDCIdentity: [{ issuer: signed.issuer, subject: signed.subject }] },
        },
      });
    });

    this.helmReleases = props.plan.releases.map((release) => {
      const parent = release.dependsOnManifests.length > 0 ? dependents!.chart : this;
      return new helm.HelmRelease(parent, `HelmRelease-${release.name}`, {
        metadata: { name: release.name, namespace: this.namespace },
        spec: {
          interval,
          releaseName: release.name,
          targetNamespace: release.namespace,
          storageNamespace: release.namespace,
          ...(release.signedChart !== undefined
            ? { chartRef: { kind: helm.HelmReleaseSpecChartRefKind.OCI_REPOSITORY, name: release.name, namespace: this.namespace } }
            : {
              chart: {
                spec: {
                  chart: release.chart,
                  version: release.version,
                  sourceRef: {
                    kind: helm.HelmReleaseSpecChartSpecSourceRefKind.HELM_REPOSITORY, name: release.repositoryName, namespace: this.namespace,
                  },
                },
              },
            }),
          install: { createNamespace: true, crds: helm.HelmReleaseSpecInstallCrds.CREATE_REPLACE, remediation: { retries } },
          upgrade: {
            crds: helm.HelmReleaseSpecUpgradeCrds.CREATE_REPLACE,
            remediation: { retries, remediateLastFailure: true },
          },
          ...(release.dependsOn.length > 0 ? { dependsOn: release.dependsOn.map((name) => ({ name, namespace: this.namespace })) } : {}),
          ...(Object.keys(release.values).length > 0 ? { values: release.values } : {}),
        },
      });
    });
  }

  /**
   * The `HelmRelease` of the release named `name` (e.g. `flagger`); fails if the plan has none.
   *
   * @param name a release name of the plan
   */
  public helmRelease(name: string): ApiObject {
    checkArguments('FluxPlatform.helmRelease', [name]);
    const index = this.plan.releases.findIndex((release) => release.name === name);
    if (index < 0) {
      fail(`FluxPlatform '${this.node.path}'`, `there is no release named '${name}'; the releases are ${this.plan.releaseNames.join(', ')}`);
    }
    return this.helmReleases[index];
  }
}

const FLUX_PATH = /^(\.\/)?[A-Za-z0-9_.-]+(\/[A-Za-z0-9_.-]+)*\/?$/;

function checkDependentReleases(owner: string, platform: Construct, props: FluxPlatformProps): FluxDependentReleases | undefined {
  const dependents = props.dependentReleases;
  const needed = props.plan.manifests.map((manifests) => manifests.name);
  if (needed.length === 0) {
    if (dependents !== undefined) {
      fail(owner, "'dependentReleases' is set but the plan applies no manifests from Git (only a plan with GATEWAY_API does)");
    }
    return undefined;
  }
  const releases = props.plan.releases.filter((release) => release.dependsOnManifests.length > 0).map((release) => release.name);
  if (dependents === undefined) {
    fail(owner, `'dependentReleases' is required: the releases ${releases.join(', ')} need ${needed.join(', ')}, and a HelmRelease `
      + 'can only depend on HelmReleases; set { chart, path } so that a Kustomization applies them after those manifests');
  }
  if (Chart.of(platform) === dependents.chart) {
    fail(owner, `'dependentReleases.chart' ('${dependents.chart.node.path}') is the FluxPlatform's own chart: it must be a chart of its own, `
      + 'whose file the cluster\'s Kustomization does not apply');
  }
  const path = dependents.path;
  const segments = String(path).replace(/^\.\//, '').replace(/\/$/, '').split('/');
  if (typeof path !== 'string' || !FLUX_PATH.test(path) || segments.some((segment) => segment === '.' || segment === '..')) {
    fail(owner, `'dependentReleases.path' (${JSON.stringify(path)}) must be a folder of the Git repository such as './clusters/prod/platform-releases': `
      + "letters, digits, '_', '.', '-' and '/', without '..'");
  }
  if (dependents.sourceName !== undefined) {
    checkDnsSubdomain(owner, 'dependentReleases.sourceName', dependents.sourceName);
  }
  return dependents;
}
