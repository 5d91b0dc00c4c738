import { ApiObject, Duration } from 'cdk8s';
import { Construct } from 'constructs';
import { FLUX_NAMESPACE } from './conventions';
import { PlatformPlan } from './platform-plan';
import * as helm from '../imports/helm.toolkit.fluxcd.io';
import * as kustomize from '../imports/kustomize.toolkit.fluxcd.io';
import * as source from '../imports/source.toolkit.fluxcd.io';
import { checkDnsLabel, checkWholeSeconds, fail, toLongDuration } from '../validation';

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
}

/**
 * The platform as Flux objects, for teams that install add-ons from their GitOps repository: one
 * `HelmRepository` (`source.toolkit.fluxcd.io/v1`) per chart repository and one `HelmRelease`
 * (`helm.toolkit.fluxcd.io/v2`) per release of the plan, with the same charts, versions, values
 * and order (`dependsOn`) as `CanaryPlatform` declares for Terraform. Releases create their target
 * namespace, keep their Helm storage there (as the Terraform provider does), and install and upgrade
 * the charts' CRDs (`CreateReplace`).
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

  public constructor(scope: Construct, id: string, props: FluxPlatformProps) {
    super(scope, id);
    const owner = `FluxPlatform '${this.node.path}'`;
    this.plan = props.plan;
    this.namespace = checkDnsLabel(owner, 'namespace', props.namespace ?? FLUX_NAMESPACE);
    const interval = toLongDuration(checkWholeSeconds(owner, 'interval', props.interval ?? Duration.minutes(10), 1));
    const repositoryInterval = toLongDuration(checkWholeSeconds(owner, 'repositoryInterval', props.repositoryInterval ?? Duration.hours(1), 1));

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
        // The tag's commit: a tag moved upstream cannot change what is applied.
        spec: { url: manifests.repository, ref: { commit: manifests.commit }, interval: repositoryInterval },
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

    this.helmReleases = props.plan.releases.map((release) => new helm.HelmRelease(this, `HelmRelease-${release.name}`, {
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
        install: { createNamespace: true, crds: helm.HelmReleaseSpecInstallCrds.CREATE_REPLACE },
        upgrade: { crds: helm.HelmReleaseSpecUpgradeCrds.CREATE_REPLACE },
        ...(release.dependsOn.length > 0 ? { dependsOn: release.dependsOn.map((name) => ({ name, namespace: this.namespace })) } : {}),
        ...(Object.keys(release.values).length > 0 ? { values: release.values } : {}),
      },
    }));
  }

  /**
   * The `HelmRelease` of the release named `name` (e.g. `flagger`); fails if the plan has none.
   *
   * @param name a release name of the plan
   */
  public helmRelease(name: string): ApiObject {
    const index = this.plan.releases.findIndex((release) => release.name === name);
    if (index < 0) {
      fail(`FluxPlatform '${this.node.path}'`, `there is no release named '${name}'; the releases are ${this.plan.releaseNames.join(', ')}`);
    }
    return this.helmReleases[index];
  }
}
