import { cdk8s, javascript } from 'projen';

const project = new cdk8s.ConstructLibraryCdk8s({
  name: 'cdk8s-canary',
  description: 'Progressive delivery on Kubernetes from one declaration: Flagger or Argo Rollouts, Traefik or Istio, metrics, load tests and Prometheus, synthesized with cdk8s.',
  author: 'cdk8s-canary founders',
  authorAddress: 'founders@cdk8s-canary.dev',
  repositoryUrl: 'https://github.com/cdk8s-canary/cdk8s-canary.git',
  keywords: ['cdk8s', 'kubernetes', 'canary', 'flagger', 'argo-rollouts', 'traefik', 'istio', 'progressive-delivery'],
  defaultReleaseBranch: 'main',
  packageManager: javascript.NodePackageManager.NPM,
  projenrcTs: true,
  github: false,
  release: false,
  integrationTestAutoDiscover: false,

  // Toolchain. jsii's minor version tracks TypeScript's.
  jsiiVersion: '~5.9.0',
  typescriptVersion: '~5.9.0',
  minNodeVersion: '20.16.0',

  cdk8sVersion: '2.70.0',
  constructsVersion: '10.4.2',
  peerDependencyOptions: { pinnedDevDependency: false },
  // cdktf and the Helm provider serve only the optional platform layer (src/platform); see below.
  peerDeps: ['cdk8s-plus-28@^2.5.6', 'cdktf@^0.21.0', '@cdktf/provider-helm@^12.1.2'],
  bundledDeps: [
    // PromQL parser used to reject queries that do not parse; not jsii, so it is bundled.
    '@prometheus-io/lezer-promql@^0.315.0',
    '@lezer/lr@^1.4.2',
    '@lezer/highlight@^1.2.1',
    // RE2 syntax check of the regular expressions routers run with RE2 (Envoy, Istio, Go); pure
    // JavaScript, not jsii, so it is bundled; loaded only when a declaration has a regular expression.
    're2js@^2.10.0',
  ],
  devDeps: [
    'cdk8s@^2.70.0',
    'constructs@^10.4.2',
    'cdk8s-plus-28@^2.5.6',
    'cdktf@^0.21.0',
    '@cdktf/provider-helm@^12.1.2',
    'cdk8s-cli@^2.207.0',
    'js-yaml@^4.1.0',
    '@types/js-yaml@^4.0.9',
    // The conformance checker (scripts/conformance): JSON Schema validation of custom resources
    // against the CRDs in crds/, and the Kubernetes schemas of the built-in kinds (1.27; 5.x is ESM only).
    'ajv@^8.17.1',
    'kubernetes-models@~4.5.1',
    // The property-based test of declarations (test/fuzz/).
    'fast-check@^4.3.0',
  ],

  jestOptions: {
    // jest 30 pulls in unrs-resolver, whose optional platform binaries the registry here does not
    // all serve, which leaves package-lock.json unusable for `npm ci`; jest 29 does not.
    jestVersion: '^29',
    updateSnapshot: javascript.UpdateSnapshot.NEVER,
    jestConfig: {
      testPathIgnorePatterns: ['/node_modules/', '/examples/.*/manifests/'],
      // `npm test` in under 5 minutes on 2 cores (issue 20). Measured on the whole suite (CPU time,
      // the machine being shared): collecting coverage cost ~60% of it (~350 CPU-s with, ~140
      // without), so it is `npx projen test:coverage`'s job, not every run's. Jest's default of
      // cores - 1 is one worker on 2 cores, i.e. no parallelism: use both.
      collectCoverage: false,
      maxWorkers: 2,
      // With two workers on two (often shared) cores, a test that awaits a local server or a
      // child process can wait seconds for a core; 5 s timed such tests out.
      testTimeout: 30_000,
    },
    // ts-jest already transpiles without type checking (tsconfig.dev.json has isolatedModules);
    // `npx projen compile` and eslint type-check.
  },
  tsconfigDevFile: 'tsconfig.dev.json',
  tsconfigDev: {
    include: ['src/**/*.ts', 'test/**/*.ts', 'examples/**/*.ts', 'scripts/**/*.ts', 'bench/**/*.ts', 'projenrc/**/*.ts', '.projenrc.ts'],
    // examples/app is a standalone user app: it imports 'cdk8s-canary' as a package, which only
    // resolves once the packed library is installed into a copy of it (npx projen test:app).
    exclude: ['examples/app', 'test/__readme__'],
    compilerOptions: {},
  },
  eslintOptions: {
    dirs: ['src'],
    devdirs: ['test', 'examples', 'scripts', 'bench', 'projenrc', '.projenrc.ts'],
    ignorePatterns: ['src/imports/**', 'examples/*/manifests/**', 'examples/app/**', 'test/__readme__/**'],
    tsconfigPath: './tsconfig.dev.json',
    projectService: false,
  },
  // What installing and synthesizing in examples/app itself leaves behind (node_modules/ is ignored anywhere).
  gitignore: ['/.ci-out/', '/examples/app/dist/', '/examples/app/package-lock.json'],
});

// The upstream CRDs the manifests target, vendored byte for byte (crds/README.md): the typed L1
// classes in src/imports are generated from them, and the conformance checker reads them.
project.addTask('vendor-crds', {
  description: 'Refresh crds/ from a folder of upstream CRDs (<folder>/<project>/{SOURCE.md,*.yaml}); --check only compares',
  exec: 'ts-node --project tsconfig.dev.json scripts/vendor-crds.ts',
  receiveArgs: true,
});
project.addTask('import', {
  description: 'Regenerate src/imports/*.ts from the vendored upstream CRDs in crds/',
  exec: 'ts-node --project tsconfig.dev.json scripts/import-crds.ts',
});
// Not source: GitHub counts them as vendored, and the package does not ship them.
project.gitattributes.addAttributes('/crds/**', 'linguist-vendored');
// Checks synthesized manifests against crds/ and the Kubernetes schemas (scripts/conformance/main.ts).
project.addTask('conformance', {
  description: 'Check manifests against the CRDs in crds/ and the Kubernetes schemas (no args: the examples and test/__synth__)',
  exec: 'ts-node --project tsconfig.dev.json scripts/conformance/main.ts',
  receiveArgs: true,
});

// `npm test` first makes sure the binaries the tests run are here (promtool, the prometheus server,
// jq): the installed ones, else Debian's packages as root, else one line saying what to install.
project.testTask.prependExec('bash scripts/test-tools.sh');

// The coverage report, which `npm test` does not collect (see jestConfig above).
project.addTask('test:coverage', {
  description: 'Run the tests with coverage (coverage/)',
  exec: 'jest --passWithNoTests --ci --coverage',
  receiveArgs: true,
});

// The types of the public API's arguments, from the jsii assembly, which the library checks at run
// time for untyped callers (src/arguments/). Run after `npx projen compile` when the API changes.
project.addTask('argument-types', {
  description: 'Regenerate src/arguments/api-types.ts from the jsii assembly (.jsii; run `npx projen compile` first)',
  exec: 'ts-node --project tsconfig.dev.json scripts/argument-types.ts',
});

project.addTask('synth', {
  description: 'Synthesize every example under examples/ into its manifests/ folder',
  exec: 'ts-node --project tsconfig.dev.json scripts/synth-examples.ts',
});

// For maintainers (needs registry access, which CI has not): checks the digests of src/versions.ts; --write records them.
project.addTask('refresh-digests', {
  description: 'Read the digests of the pinned images from their registries and compare them with src/versions.ts (--write to record them)',
  exec: 'ts-node --project tsconfig.dev.json scripts/refresh-digests.ts',
  receiveArgs: true,
});

// eslint-import-resolver-typescript v4 depends on unrs-resolver too (see jestVersion); v3.8 does not.
project.deps.removeDependency('eslint-import-resolver-typescript');
project.addDevDeps('eslint-import-resolver-typescript@~3.8.7');
// ts-jest loads jest-util from the top level, where npm does not hoist it on its own.
project.addDevDeps('jest-util@^29');

// `npx cdk8s-canary plan [app entry]`: the rollout plan of every CanaryService of an app.
project.addBins({ 'cdk8s-canary': 'lib/cli/main.js' });

// The platform layer loads cdktf only when used, so cdk8s users need not install it.
project.package.addField('peerDependenciesMeta', {
  'cdktf': { optional: true },
  '@cdktf/provider-helm': { optional: true },
});

// Use the library from an app, as a user does (issue 12): npm pack, install the tarball into a fresh
// copy of examples/app with the lockfile's cdk8s, cdk8s-plus-28 and constructs, `cdk8s synth`, and
// the conformance checker (scripts/conformance) on its dist/. See scripts/app-e2e.sh.
project.addTask('test:app', {
  description: 'Pack the library, install it into a fresh app (examples/app), cdk8s synth, conformance',
  exec: 'bash scripts/app-e2e.sh',
});

project.addTask('bench', {
  description: 'Synthesis benchmark: N = 1..1000 CanaryServices of every engine x router, two layouts, baselines; prints the table, ratios and budgets',
  exec: 'ts-node --project tsconfig.dev.json bench/run.ts',
  receiveArgs: true,
});
project.addTask('bench:smoke', {
  description: 'Benchmark at N = 10 with output checks; fails only on a crash or an output difference',
  exec: 'ts-node --project tsconfig.dev.json bench/run.ts --smoke',
});
project.npmignore?.exclude('/bench/', '/examples/', '/scripts/', '/docs/', '/crds/');

// Manifests the tests record for the conformance checker (see test/synth.ts).
project.gitignore.addPatterns('test/__synth__/');
// The README's TypeScript blocks as programs (see test/readme.test.ts).
project.gitignore.addPatterns('test/__readme__/');

project.synth();
