/**
 * Pinned images and the controller versions the synthesized manifests target. Every image the
 * library writes is pinned by tag and, where a digest is recorded below, by digest too
 * (`repository:tag@sha256:...`), so a tag moved upstream (or in a mirror) cannot change what runs.
 * `scripts/refresh-digests.ts` reads the digests from the registries (maintainers run it; CI has no
 * registry access) and says where the table differs.
 */

/** An image the library writes into manifests or Helm values, pinned. */
export interface PinnedImage {
  /** Registry and repository, e.g. `ghcr.io/fluxcd/flagger-loadtester`. */
  readonly repository: string;
  /** The version tag. */
  readonly tag: string;
  /** The digest of the tag's manifest (list), `sha256:<64 hex>`; undefined while none is recorded. */
  readonly digest?: string;
  /** Where the digest was read, or why there is none yet. */
  readonly digestSource: string;
}

export const FLAGGER_VERSION = '1.44.0';
export const ARGO_ROLLOUTS_VERSION = '1.9.1';
export const TRAEFIK_VERSION = '3.7.11';
export const ISTIO_VERSION = '1.30.3';

/** The images, by role. */
export const PINNED_IMAGES = {
  loadTester: {
    repository: 'ghcr.io/fluxcd/flagger-loadtester',
    tag: '0.38.0',
    digest: undefined,
    digestSource: 'none recorded: no public source pins 0.38.0 by digest (searched public code, Flagger\'s repository at v1.44.0 '
      + 'and its release PR fluxcd/flagger#1945, renovate PRs), and the registry cannot be read here; run scripts/refresh-digests.ts',
  } as PinnedImage,
  prometheus: {
    repository: 'docker.io/prom/prometheus',
    tag: 'v3.5.5',
    digest: 'sha256:332c2f43e7e389d74d3893b55bb02fbbd684208e681eeb604641d5d769c0fe2a',
    digestSource: 'pinned alike by two unrelated public repositories (a docker-compose deploy contract and a vitest of a compose file); '
      + 'not yet read from Docker Hub by scripts/refresh-digests.ts',
  } as PinnedImage,
  argoRollouts: {
    repository: 'quay.io/argoproj/argo-rollouts',
    tag: `v${ARGO_ROLLOUTS_VERSION}`,
    digest: 'sha256:15c0d41f2c69a382d4399bcb28ed4f03ee9f58b56cfc9e6cd55bcbf0f311c06d',
    digestSource: 'pinned by a public repository through a pull-through mirror of quay.io (quay.m.daocloud.io), which serves quay.io\'s digests; '
      + 'not yet read from quay.io by scripts/refresh-digests.ts',
  } as PinnedImage,
  gatewayApiPlugin: {
    repository: 'ghcr.io/argoproj-labs/rollouts-plugin-trafficrouter-gatewayapi',
    tag: 'v0.15.0',
    digest: undefined,
    digestSource: 'none recorded: the release publishes no checksums, no public source pins v0.15.0 by digest (only older tags, '
      + 'e.g. v0.5.0), and the registry cannot be read here; run scripts/refresh-digests.ts',
  } as PinnedImage,
  flagger: {
    repository: 'ghcr.io/fluxcd/flagger',
    tag: FLAGGER_VERSION,
    digest: undefined,
    digestSource: 'none recorded: no public source pins 1.44.0 by digest, and the registry cannot be read here; '
      + 'run scripts/refresh-digests.ts (the chart writes <repository>:<tag>, so <tag>@<digest> pins it)',
  } as PinnedImage,
  prometheusConfigReloader: {
    repository: 'quay.io/prometheus-operator/prometheus-config-reloader',
    tag: 'v0.93.1',
    digest: 'sha256:428f088fe6fe07ab138bda92113664b04848a1dc408e4d3680a60ecdb55d1a65',
    digestSource: 'pinned alike by three unrelated public repositories: an image inventory of Stuhlmuller/homelab '
      + '(index digest with its amd64 child), a supply lock of kube-prometheus-stack 88.5.2 images, and a deployment record '
      + 'of the imageID a cluster reported; not yet read from quay.io by scripts/refresh-digests.ts',
  } as PinnedImage,
  traefik: {
    repository: 'docker.io/library/traefik',
    tag: `v${TRAEFIK_VERSION}`,
    digest: 'sha256:5203c3f39ca70de6790d964624e042463ffbd57715bc82be155cf224c0dd5144',
    digestSource: 'pinned alike (as traefik:v3.7.11) by four unrelated public repositories: a NetBird deployment pack, '
      + 'a NixOS container module, a Terraform docker-service module and a gateway test of a remote-worktree runner; '
      + 'not yet read from Docker Hub by scripts/refresh-digests.ts',
  } as PinnedImage,
};

/** `repository:tag@digest`, or `repository:tag` while no digest is recorded. */
export function imageReference(image: PinnedImage): string {
  return `${image.repository}:${image.tag}${image.digest ? `@${image.digest}` : ''}`;
}

/** The tag and digest as one Helm `image.tag` value (`v1.9.1@sha256:...`), which charts append to `repository:`. */
export function imageTagAndDigest(image: PinnedImage): string {
  return `${image.tag}${image.digest ? `@${image.digest}` : ''}`;
}

export const LOAD_TESTER_IMAGE = imageReference(PINNED_IMAGES.loadTester);
/**
 * The one Prometheus version of both modes: the per-namespace Prometheus runs this image, and the
 * platform's shared Prometheus (chart `prometheus`, whose own appVersion differs) is pinned to it.
 */
export const PROMETHEUS_REPOSITORY = PINNED_IMAGES.prometheus.repository;
export const PROMETHEUS_VERSION = PINNED_IMAGES.prometheus.tag;
export const PROMETHEUS_IMAGE = imageReference(PINNED_IMAGES.prometheus);

/**
 * A Helm chart the platform layer installs, pinned: the repository it comes from (and the name of
 * that repository as a Flux `HelmRepository`), the chart's name and its version.
 */
export interface PinnedChart {
  readonly repositoryName: string;
  readonly repository: string;
  readonly chart: string;
  readonly version: string;
}

/** Flagger's chart; its version is Flagger's. Its loadtester chart is not needed: CanaryServices deploy their own. */
export const FLAGGER_CHART: PinnedChart = {
  repositoryName: 'flagger', repository: 'https://flagger.app', chart: 'flagger', version: FLAGGER_VERSION,
};
export const ARGO_ROLLOUTS_CHART: PinnedChart = {
  repositoryName: 'argo', repository: 'https://argoproj.github.io/argo-helm', chart: 'argo-rollouts', version: '2.41.0',
};
export const TRAEFIK_CHART: PinnedChart = {
  repositoryName: 'traefik', repository: 'https://traefik.github.io/charts', chart: 'traefik', version: '41.3.0',
};
/** Istio's charts share one repository and Istio's version; install base (and cni), istiod, gateway in that order. */
const ISTIO_CHARTS_REPOSITORY = 'https://istio-release.storage.googleapis.com/charts';
export const ISTIO_BASE_CHART: PinnedChart = {
  repositoryName: 'istio', repository: ISTIO_CHARTS_REPOSITORY, chart: 'base', version: ISTIO_VERSION,
};
export const ISTIOD_CHART: PinnedChart = {
  repositoryName: 'istio', repository: ISTIO_CHARTS_REPOSITORY, chart: 'istiod', version: ISTIO_VERSION,
};
export const ISTIO_GATEWAY_CHART: PinnedChart = {
  repositoryName: 'istio', repository: ISTIO_CHARTS_REPOSITORY, chart: 'gateway', version: ISTIO_VERSION,
};
/**
 * Istio's CNI node agent (a privileged DaemonSet): it sets up the sidecars' traffic redirection on
 * the node, so injected pods need no `istio-init` container with NET_ADMIN/NET_RAW.
 */
export const ISTIO_CNI_CHART: PinnedChart = {
  repositoryName: 'istio', repository: ISTIO_CHARTS_REPOSITORY, chart: 'cni', version: ISTIO_VERSION,
};
/** The prometheus-community chart, of which the platform installs the server only. */
export const PROMETHEUS_CHART: PinnedChart = {
  repositoryName: 'prometheus-community', repository: 'https://prometheus-community.github.io/helm-charts', chart: 'prometheus', version: '29.27.0',
};

/**
 * kube-prometheus-stack, which the platform can install instead (the Prometheus Operator v0.93.1,
 * whose PodMonitor CRD is the one crds/prometheus-operator/ holds at v0.93.0).
 */
export const KUBE_PROMETHEUS_STACK_CHART: PinnedChart = {
  repositoryName: 'prometheus-community', repository: 'https://prometheus-community.github.io/helm-charts', chart: 'kube-prometheus-stack', version: '88.5.3',
};

/**
 * Gateway API: the standard channel's CRDs the synthesized HTTPRoutes and Gateways target, pinned
 * by the commit of the tag (a lightweight tag in kubernetes-sigs/gateway-api: `git rev-parse v1.6.1`),
 * so a moved tag cannot change what Flux applies. Istio 1.30 is built and conformance-tested against
 * v1.5.1 (its go.mod); v1.6.1 keeps every v1 field the manifests use, and the README says so
 * (Istio's tested pair is `ISTIO_TESTED_GATEWAY_API_VERSION`).
 */
export const GATEWAY_API_VERSION = 'v1.6.1';
export const GATEWAY_API_COMMIT = '8bb74df00e56ec8f944d48c25e6c1c9c2f6848e3';
/** The release branch that holds `GATEWAY_API_COMMIT` (git branch --contains). */
export const GATEWAY_API_BRANCH = 'release-1.6';
/** The Gateway API release Istio's pinned version is built and tested against (istio/istio go.mod at 1.30.3). */
export const ISTIO_TESTED_GATEWAY_API_VERSION = 'v1.5.1';
/**
 * Argo Rollouts' Gateway API traffic-router plugin (argoproj-labs/rollouts-plugin-trafficrouter-gatewayapi),
 * installed from its image: the controller copies the binary from it at start-up. Its releases
 * publish no checksums of the binaries (release.yaml uploads them alone), so the image, not a
 * downloaded file, is what is pinned.
 */
export const ARGO_GATEWAY_API_PLUGIN_IMAGE = imageReference(PINNED_IMAGES.gatewayApiPlugin);

/**
 * Flagger's chart as a signed OCI artifact: the release workflow (`.github/workflows/release.yml`
 * of fluxcd/flagger) pushes it to `oci://ghcr.io/fluxcd/charts` and signs it with cosign keyless;
 * Flux verifies that identity (docs/gitbook/install/flagger-install-with-flux.md).
 */
export const FLAGGER_OCI_CHART = {
  url: 'oci://ghcr.io/fluxcd/charts/flagger',
  issuer: '^https://token\\.actions\\.githubusercontent\\.com$',
  subject: '^https://github\\.com/fluxcd/flagger/\\.github/workflows/release\\.yml@refs/tags/v\\d+\\.\\d+\\.\\d+$',
};
