import * as fs from 'fs';
import * as path from 'path';
import { SCENARIO_NAMES } from '../rehearsal/scenarios';
import { ARGO_ROLLOUTS_VERSION, FLAGGER_VERSION } from '../versions';

/** The package's version, from its package.json (lib/cli/ and src/cli/ are both two folders down). */
export function version(): string {
  try {
    return JSON.parse(fs.readFileSync(path.join(__dirname, '..', '..', 'package.json'), 'utf-8')).version;
  } catch {
    return 'unknown';
  }
}

export function versionText(): string {
  return `cdk8s-canary ${version()} (targets Flagger ${FLAGGER_VERSION}, Argo Rollouts ${ARGO_ROLLOUTS_VERSION})\n`;
}

export const EXIT_CODES = `exit codes: 0 done; 1 refused or failed (by the cluster, the loadtester or a check; a timeout;
            Ctrl-C, SIGTERM or SIGHUP: whatever the command opened is closed again first); 2 a mistake
            in the command line
`;

const RELEASE_OPTIONS = `options:
  -n, --namespace <ns>   the service's namespace (default: the declaration's with --app, else the
                         context's)
  --engine flagger|argo  the controller, when you know it: no request to find out (with --dry-run,
                         no request at all and no credential plugin run)
  --app <entry>          the cdk8s app that declares <service> (e.g. main.ts): its engine, namespace
                         and gates, read offline
  --via exec             reach the loadtester with kubectl exec and curl on localhost (default: its
                         NetworkPolicy admits only Flagger's pods)
  --via proxy            through the API server's Service proxy (RBAC: create services/proxy,
                         ReleaseOperatorRole's LoadTesterAccess.PROXY; the loadtester's
                         NetworkPolicy must admit the API server's addresses:
                         LoadTester.of(scope, <ns>, { allowIngressFromCidrs: [...] }))
  --cluster-domain <d>   the cluster's DNS domain, for the loadtester's full Service name in a
                         webhook URL (default cluster.local)
  --kubeconfig <file>    the kubeconfig; default: every file of KUBECONFIG merged, else
                         ~/.kube/config, else the service account of the pod this runs in
  --context <name>       the context; default: the current one, resolved once for every request and
                         every kubectl the command runs
  --insecure-allow-http-token
                         send a token or password to an http:// API server with this tool's own
                         requests (refused by default: kubectl sends none). kubectl exec still
                         sends none, so with it the loadtester needs --via proxy
  -h, --help             this text

A kubeconfig without a certificate authority is verified against the system's CA bundle on Linux
(SSL_CERT_FILE, SSL_CERT_DIR), as kubectl does; elsewhere against Node's own roots, to which
NODE_EXTRA_CA_CERTS=<file> adds a company CA.
`;

const WAIT_OPTIONS = `  --timeout <seconds>    how long to wait for the controller (default 1800)
  --dry-run              print the commands (kubectl), run nothing
`;

export const COMMAND_USAGE: { [command: string]: string } = {
  plan: `usage: cdk8s-canary plan [app entry] [--json]

Prints the rollout plan of every CanaryService of a cdk8s app: its phases and weights, what runs
when, when the analysis can first fail, the earliest full promotion, and how far a bad canary gets.
The entry defaults to main.ts (or main.js) in the current directory. Exits 1 when an analysis could
not stop a bad canary.

  --json   the plans as data
`,
  argocd: `usage: cdk8s-canary argocd [app entry]

Prints the spec.ignoreDifferences and sync options of the Argo CD Application that applies the app's
output: the fields Argo Rollouts rewrites in the objects of every CanaryService declared with
gitOps: GitOps.argoCd(). Exits 1 when a service whose objects a controller rewrites is declared for
another tool (GitOps.fluxCd(), GitOps.none()) or the app has mistakes; prints a comment and exits 0
when no object needs ignoring (Flagger only).
`,
  status: `usage: cdk8s-canary status <service> [-n <namespace>] [--output text|json] [options]

Where the release of <service> stands. Flagger: phase, canary weight, failed checks, the revision
under analysis, and each gate the Canary has (manual gate, rollback gate): open or closed, which
release an open gate was opened for, and a warning when an open gate will pass, or roll back, a
release nobody approved. Argo Rollouts: phase, step, pauses, abort.

  --output json          the same, as JSON
${RELEASE_OPTIONS}`,
  gate: `usage: cdk8s-canary gate open|close|status <service> [-n <namespace>] [--once | --detach] [options]

Flagger's manual gate (CanaryWebhook.manualGate()). The loadtester keeps one gate per Canary, with
no stage and no revision: while it is open it passes every confirm-rollout, confirm-traffic-increase
and confirm-promotion check of that Canary, of this release and of the next.

  open                   open the gate for this release, wait, and close it when the release has
                         passed its last gate (Promoting) or failed, or a new revision replaces it
  open --once            open it for one step (the start, a weight, or the promotion) and close it
                         as soon as the Canary has taken it
  open --detach          open it and leave it open (the next release passes too, until 'gate close')
  close                  close it
  status                 open or closed

Whatever ends a wait (the step, a timeout, an error, Ctrl-C), the gate is closed before the command
ends. A gate already open is left as it is (someone else opened it: their command closes it), and
one closed or taken over by someone else while the command waits ends the wait. A gate is opened
only in the loadtester of the Canary's own namespace.

${WAIT_OPTIONS}${RELEASE_OPTIONS}`,
  promote: `usage: cdk8s-canary promote <service> [-n <namespace>] [--full] [options]

Lets the release take its next step.
  Flagger: 'gate open --once': the gate opens for one step and closes when the step is taken.
  Argo Rollouts: what 'kubectl argo rollouts promote' does: clear the pause, or skip to the next
  step; --full skips the remaining steps and analyses.

${WAIT_OPTIONS}${RELEASE_OPTIONS}`,
  abort: `usage: cdk8s-canary abort <service> [-n <namespace>] [--detach] [options]

Rolls the release back.
  Flagger (needs CanaryWebhook.rollbackGate()): opens the rollback gate, waits until Flagger has
  rolled back (phase Failed) and closes it again, since an open rollback gate rolls back every
  later release at its first check. --detach leaves it open, until 'cdk8s-canary reset'. Flagger
  asks the rollback gate in phase Progressing and WaitingPromotion only: a release held at
  confirm-rollout (Waiting) gets no traffic and cannot be aborted; revert its change in Git.
  Argo Rollouts: what 'kubectl argo rollouts abort' does ({"status":{"abort":true}}); nothing is
  left open: the next change of the pod template starts a new release.

${WAIT_OPTIONS}${RELEASE_OPTIONS}`,
  rehearse: `usage: cdk8s-canary rehearse [app entry | manifest files or folders] [options]

Replays releases through the controllers' own rules (Flagger ${FLAGGER_VERSION}, Argo Rollouts
${ARGO_ROLLOUTS_VERSION}) and the real Prometheus engine, before anything reaches a cluster: for each
Canary or Rollout of the manifests (hand-written ones too), or of the app as it synthesizes, each
built-in scenario runs with seeded traffic split as the router splits it, every check evaluated by
Prometheus when the controller would run it. The report gives per scenario the outcome (promoted,
rolled back, stuck), when, the highest weight, the time to detection and the users a bad version
served, a timeline, and warnings for checks that see too few requests. An app entry also compares
the plan's figures. Without an argument: main.ts (or main.js) in the current directory, else the
manifests in dist/. Needs the Prometheus server binary (Debian's 'prometheus' package;
PROMETHEUS_BINARY to use another). Exits 1 when a healthy release is rolled back or stuck, a bad one
is promoted, an expectation the release states is not met, or the plan disagrees.

  --json                     everything as data, every run's timeline included
  --seeds <n>                runs per scenario, each with its own seed (default 5)
  --scenario <a,b>           the scenarios to run (default all): ${SCENARIO_NAMES.join(', ')}
  --users <per second>       user requests per second (default: what each release states, else 10)
  --approve-after <duration> how long a person takes to open a gate or end a pause (default 0s)
  --never-approve            the person never opens a gate
  --max-duration <duration>  how long a run may take before it counts as stuck (default 1h); a run
                             nobody resumes keeps its users on the new version until then
  --mesh-provider <name>     Flagger's -mesh-provider, for a Canary without spec.provider (default istio)
  --enforced-namespace-label <name>
                             the label the platform's Prometheus enforces on PodMonitor series
                             (manifests only; an app's Prometheus.operator() says it itself)
  --lanes <n>                Prometheus servers side by side (default 2)
  --no-timeline              no timeline in the text report
`,
  reset: `usage: cdk8s-canary reset <service> [-n <namespace>] [options]

Flagger: closes the gate and the rollback gate of the Canary, whatever its phase, and removes their
records: for a gate left open by --detach, by hand, or by a command killed before it could close
it. Argo Rollouts keeps no gate: there is nothing to reset.

  --dry-run              print the commands, run nothing
${RELEASE_OPTIONS}`,
};

export const USAGE = `usage: cdk8s-canary <command> [arguments]

  plan      the rollout plan of every CanaryService of a cdk8s app
  argocd    the ignoreDifferences of the Argo CD Application that applies the app
  status    where a release stands, and every gate it has
  gate      open, close or look at Flagger's manual gate
  promote   let a release take its next step
  abort     roll a release back
  reset     close the gates a Flagger Canary has (after --detach, or a command killed)
  rehearse  replay releases through the controllers' rules and the real Prometheus engine

  cdk8s-canary <command> --help    what a command does and takes
  cdk8s-canary --version

${EXIT_CODES}`;
