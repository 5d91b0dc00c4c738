/*
 * Is declaring CanaryServices linear in their number? Times the construction alone (no synthesis)
 * of N services for N = 100, 300, 1000 in three layouts, in this process:
 *
 *   ts-node --project tsconfig.dev.json bench/construct-scaling.ts [--n 100,300,1000]
 *
 * - team namespaces: the benchmark's layout (10 services per namespace, add-ons per namespace);
 * - a namespace per service, add-ons per namespace;
 * - a namespace per service sharing one Prometheus (`prometheus: Prometheus.of(chart, 'monitoring')`),
 *   in declaration order and shuffled: that Prometheus scrapes N namespaces.
 *
 * Per-service time should stay flat as N grows; a per-service time that grows with N is a
 * quadratic cost (see docs/performance.md).
 */
import { App, Chart } from 'cdk8s';
import { benchService, namespaceOf, serviceName } from './services';
import { Prometheus } from '../src';

type Layout = 'team namespaces' | 'namespace per service' | 'namespace per service, one shared Prometheus' | 'same, shuffled';
const LAYOUTS: Layout[] = ['team namespaces', 'namespace per service', 'namespace per service, one shared Prometheus', 'same, shuffled'];

function order(n: number, shuffled: boolean): number[] {
  const idx = [...Array(n).keys()];
  let seed = 1;
  for (let i = n - 1; shuffled && i > 0; i--) {
    seed = (seed * 16807) % 2147483647;
    const j = seed % (i + 1);
    [idx[i], idx[j]] = [idx[j], idx[i]];
  }
  return idx;
}

function construct(layout: Layout, n: number): number {
  const app = new App({ outdir: '/dev/null' });
  const chart = new Chart(app, 'services');
  const start = process.hrtime.bigint();
  const shared = layout.includes('Prometheus') || layout.startsWith('same') ? Prometheus.of(chart, 'monitoring') : undefined;
  for (const i of order(n, layout === 'same, shuffled')) {
    const namespace = layout === 'team namespaces' ? namespaceOf(i) : `ns-${serviceName(i)}`;
    benchService(chart, 'flagger-traefik', serviceName(i), namespace, { prometheus: shared });
  }
  return Number(process.hrtime.bigint() - start) / 1e6;
}

const nIndex = process.argv.indexOf('--n');
const ns = (nIndex > 0 ? process.argv[nIndex + 1] : '100,300,1000').split(',').map(Number);
construct('team namespaces', 50); // warm up the JIT
console.log('construction only, ms per service (flat = linear):');
for (const layout of LAYOUTS) {
  const cells = ns.map((n) => {
    const ms = construct(layout, n);
    return `N=${n}: ${(ms / n).toFixed(2)} ms/service (${ms.toFixed(0)} ms)`;
  });
  console.log(`  ${layout.padEnd(46)} ${cells.join('   ')}`);
}
