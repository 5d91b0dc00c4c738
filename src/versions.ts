/**
 * Pinned images and the controller versions the synthesized manifests target. Images are pinned
 * by tag; users may pass a digest-pinned reference instead.
 */

export const FLAGGER_VERSION = '1.44.0';
export const LOAD_TESTER_IMAGE = 'ghcr.io/fluxcd/flagger-loadtester:0.38.0';
export const PROMETHEUS_IMAGE = 'quay.io/prometheus/prometheus:v3.5.5';
export const ARGO_ROLLOUTS_VERSION = '1.9.1';
export const TRAEFIK_VERSION = '3.7.11';
export const ISTIO_VERSION = '1.30.3';
