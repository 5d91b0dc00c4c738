import { prometheusBinary, prometheusVersion } from '../../src/rehearsal/prometheus/server';

/**
 * The rehearsal tests evaluate every check with the real Prometheus server: without it they fail
 * (never skip), with a message that says how to get it.
 */
export function requirePrometheus(): void {
  if (prometheusVersion() === undefined) {
    throw new Error(`the Prometheus server binary '${prometheusBinary()}' does not run here, and the rehearsal tests evaluate every check with it: `
      + "install Debian's 'prometheus' package (apt-get install prometheus), or set PROMETHEUS_BINARY to a Prometheus 2.x server binary");
  }
}
