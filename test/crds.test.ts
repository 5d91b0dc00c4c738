import * as fs from 'fs';
import * as path from 'path';
import { CHECKSUMS, CRD_DIR, SOURCE_FILE, checksums, crdFiles, projects } from '../scripts/vendor-crds';

describe('the vendored upstream CRDs (crds/)', () => {
  test('are byte for byte what scripts/vendor-crds.ts copied: every file is in SHA256SUMS, with its hash', () => {
    expect(checksums(CRD_DIR)).toEqual(fs.readFileSync(path.join(CRD_DIR, CHECKSUMS), 'utf-8'));
  });

  test.each(projects(CRD_DIR))('%s/SOURCE.md names the upstream, the version and the license', (project) => {
    const source = fs.readFileSync(path.join(CRD_DIR, project, SOURCE_FILE), 'utf-8');
    expect(source).toMatch(/^- Upstream: .*https:\/\/github\.com\//m);
    expect(source).toMatch(/^- Version: .*\*\*v?\d+\.\d+\.\d+\*\*/m);
    expect(source).toMatch(/^- License: Apache-2\.0/m);
    expect(crdFiles(path.join(CRD_DIR, project)).length).toBeGreaterThan(0);
  });

  test('hold every API group the library writes', () => {
    const groups = new Set(projects(CRD_DIR).flatMap((project) => crdFiles(path.join(CRD_DIR, project))
      .flatMap((file) => [...fs.readFileSync(path.join(CRD_DIR, project, file), 'utf-8').matchAll(/^ {2}group: (\S+)$/gm)].map((m) => m[1]))));
    for (const group of ['flagger.app', 'argoproj.io', 'traefik.io', 'networking.istio.io', 'gateway.networking.k8s.io',
      'monitoring.coreos.com', 'helm.toolkit.fluxcd.io', 'source.toolkit.fluxcd.io', 'kustomize.toolkit.fluxcd.io']) {
      expect(groups).toContain(group);
    }
  });
});
