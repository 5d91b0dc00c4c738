/**
 * Regenerates the typed L1 classes in src/imports/ from the vendored upstream CRDs in crds/ (see crds/README.md).
 *
 * cdk8s-cli cannot read some upstream files as they are (Flagger's multi-line quoted descriptions),
 * names its output after the API group (so one group must be imported in one go), and emits classes
 * for every served version. This script therefore re-dumps the CRDs we target with js-yaml, keeps
 * only the kinds and the version we generate for, groups them per API group, and runs `cdk8s import`
 * once per group.
 */
import { execFileSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import * as yaml from 'js-yaml';

interface ImportGroup {
  /** The API group; cdk8s names the output file after it. */
  readonly group: string;
  /** The only version to generate classes for. */
  readonly version: string;
  /** CRD files, relative to crds/. */
  readonly files: string[];
  /** The kinds to keep. */
  readonly kinds: string[];
}

const GROUPS: ImportGroup[] = [
  {
    group: 'flagger.app',
    version: 'v1beta1',
    files: ['flagger/crd.yaml'],
    kinds: ['Canary', 'MetricTemplate', 'AlertProvider'],
  },
  {
    group: 'traefik.io',
    version: 'v1alpha1',
    files: ['traefik/traefik.io_ingressroutes.yaml', 'traefik/traefik.io_traefikservices.yaml', 'traefik/traefik.io_middlewares.yaml'],
    kinds: ['IngressRoute', 'TraefikService', 'Middleware'],
  },
  {
    group: 'argoproj.io',
    version: 'v1alpha1',
    files: ['argo-rollouts/rollout-crd.yaml', 'argo-rollouts/analysis-template-crd.yaml', 'argo-rollouts/cluster-analysis-template-crd.yaml'],
    kinds: ['Rollout', 'AnalysisTemplate', 'ClusterAnalysisTemplate'],
  },
  {
    group: 'networking.istio.io',
    version: 'v1',
    files: ['istio/crd-all.gen.yaml'],
    kinds: ['VirtualService', 'DestinationRule', 'Gateway'],
  },
  {
    group: 'gateway.networking.k8s.io',
    version: 'v1',
    files: ['gateway-api/gateway.networking.k8s.io_httproutes.yaml', 'gateway-api/gateway.networking.k8s.io_gateways.yaml'],
    kinds: ['HTTPRoute', 'Gateway'],
  },
  {
    group: 'source.toolkit.fluxcd.io',
    version: 'v1',
    files: ['flux/source.toolkit.fluxcd.io_helmrepositories.yaml', 'flux/source.toolkit.fluxcd.io_gitrepositories.yaml'],
    kinds: ['HelmRepository', 'GitRepository'],
  },
  {
    group: 'kustomize.toolkit.fluxcd.io',
    version: 'v1',
    files: ['flux/kustomize.toolkit.fluxcd.io_kustomizations.yaml'],
    kinds: ['Kustomization'],
  },
  {
    group: 'monitoring.coreos.com',
    version: 'v1',
    files: ['prometheus-operator/monitoring.coreos.com_podmonitors.yaml'],
    kinds: ['PodMonitor'],
  },
  {
    group: 'helm.toolkit.fluxcd.io',
    version: 'v2',
    files: ['flux/helm.toolkit.fluxcd.io_helmreleases.yaml'],
    kinds: ['HelmRelease'],
  },
];

const root = path.resolve(__dirname, '..');
const crdRoot = path.join(root, 'crds');
const outdir = path.join(root, 'src', 'imports');

function loadCrds(file: string): any[] {
  const text = fs.readFileSync(path.join(crdRoot, file), 'utf-8');
  return yaml.loadAll(text).filter((doc: any) => doc?.kind === 'CustomResourceDefinition');
}

function selectVersion(crd: any, version: string): any {
  const versions = (crd.spec.versions ?? []).filter((v: any) => v.name === version);
  if (versions.length !== 1) {
    throw new Error(`${crd.metadata.name} does not serve ${version}`);
  }
  return { ...crd, spec: { ...crd.spec, versions: [{ ...versions[0], storage: true }] } };
}

function importGroup(spec: ImportGroup, workdir: string) {
  const crds = spec.files
    .flatMap(loadCrds)
    .filter((crd) => crd.spec.group === spec.group && spec.kinds.includes(crd.spec.names.kind))
    .map((crd) => selectVersion(crd, spec.version))
    .sort((a, b) => a.spec.names.kind.localeCompare(b.spec.names.kind));
  const found = crds.map((crd) => crd.spec.names.kind);
  const missing = spec.kinds.filter((kind) => !found.includes(kind));
  if (missing.length > 0) {
    throw new Error(`${spec.group}: kinds not found in ${spec.files.join(', ')}: ${missing.join(', ')}`);
  }
  const input = path.join(workdir, `${spec.group}.yaml`);
  fs.writeFileSync(input, crds.map((crd) => yaml.dump(crd, { lineWidth: -1, noRefs: true })).join('---\n'));
  execFileSync('npx', ['cdk8s', 'import', input, '--language', 'typescript', '--output', outdir], {
    cwd: root,
    stdio: 'inherit',
  });
  console.log(`imported ${spec.group}/${spec.version}: ${found.join(', ')}`);
}

const workdir = fs.mkdtempSync(path.join(os.tmpdir(), 'cdk8s-canary-crds-'));
try {
  for (const group of GROUPS) {
    importGroup(group, workdir);
  }
} finally {
  fs.rmSync(workdir, { recursive: true, force: true });
}
