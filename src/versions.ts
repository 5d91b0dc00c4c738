/**
 * Pinned images and the controller versions the synthesized manifests target. Images are pinned
 * by tag; users may pass a digest-pinned reference instead.
 */

export const FLAGGER_VERSION = '1.44.0';
export const LOAD_TESTER_IMAGE = 'ghcr.io/fluxcd/flagger-loadtester:0.38.0';
/**
 * The one Prometheus version of both modes: the per-namespace Prometheus runs this image, and the
 * platform's shared Prometheus (chart `prometheus`, whose own appVersion differs) is pinned to it.
 */
export const PROMETHEUS_REPOSITORY = 'quay.io/prometheus/prometheus';
export const PROMETHEUS_VERSION = 'v3.5.5';
export const PROMETHEUS_IMAGE = `${PROMETHEUS_REPOSITORY}:${PROMETHEUS_VERSION}`;
export const ARGO_ROLLOUTS_VERSION = '1.9.1';
export const TRAEFIK_VERSION = '3.7.11';
export const ISTIO_VERSION = '1.30.3';

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
/** Istio's charts share one repository and Istio's version; install base, istiod, gateway in that order. */
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
/** The prometheus-community chart, of which the platform installs the server only. */
export const PROMETHEUS_CHART: PinnedChart = {
  repositoryName: 'prometheus-community', repository: 'https://prometheus-community.github.io/helm-charts', chart: 'prometheus', version: '29.27.0',
};

/**
 * Gateway API: the standard channel's CRDs the synthesized HTTPRoutes and Gateways target. Istio
 * 1.30 is built and conformance-tested against v1.5.1 (its go.mod); v1.6.1 keeps every v1 field
 * the manifests use, and the README says so (Istio's tested pair is `ISTIO_TESTED_GATEWAY_API_VERSION`).
 */
export const GATEWAY_API_VERSION = 'v1.6.1';
/** The Gateway API release Istio's pinned version is built and tested against (istio/istio go.mod at 1.30.3). */
export const ISTIO_TESTED_GATEWAY_API_VERSION = 'v1.5.1';
/**
 * Argo Rollouts' Gateway API traffic-router plugin (argoproj-labs/rollouts-plugin-trafficrouter-gatewayapi),
 * installed from its image pinned by tag: the controller copies the binary from it at start-up. Its
 * releases publish no checksums of the binaries, so the image, not a downloaded file, is what is pinned.
 */
export const ARGO_GATEWAY_API_PLUGIN_IMAGE = 'ghcr.io/argoproj-labs/rollouts-plugin-trafficrouter-gatewayapi:v0.15.0';
