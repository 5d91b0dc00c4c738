import { isIP } from 'net';
import { Duration, Size } from 'cdk8s';
import * as kplus from 'cdk8s-plus-28';
import { Construct } from 'constructs';
import { ClusterDnsOptions } from './cluster-dns';
import { EgressRules, resolveClusterDns } from './egress';
import { namespaceSingleton, ownedName } from './namespace-singleton';
import { LoadEgress } from '../analysis/load-test';
import { checkArguments } from '../arguments/check-arguments';
import {
  FLAGGER_NAMESPACE,
  FLAGGER_POD_LABELS,
  LOAD_TESTER_CONTAINER_PORT,
  LOAD_TESTER_NAME,
  LOAD_TESTER_SCRATCH_DIR,
  LOAD_TESTER_SERVICE_PORT,
  NO_SIDECAR_LABELS,
  SELECTOR_LABEL,
  serviceAddress,
} from '../platform/conventions';
import { checkRe2, re2Finds, re2Message, re2Problem } from '../re2';
import { checkEmittedObjects } from '../synth/object-validity';
import { checkDnsLabel, checkPinnedImage, checkPort, checkUniqueNames, checkWholeSeconds, fail, toLongDuration } from '../validation';
import { LOAD_TESTER_IMAGE } from '../versions';
import { checkImmutableImage } from '../workload/image-reference';
import { restrictedSecurityContext, selectPodsByLabels } from '../workload/pod-security';

const SINGLETON_KIND = 'LoadTester';
const LOG_LEVELS = ['debug', 'info', 'warn', 'error', 'fatal', 'panic'];
const LABELS = {
  'app.kubernetes.io/component': 'loadtester',
  'app.kubernetes.io/managed-by': 'cdk8s-canary',
};
// The uid and gid upstream's image and manifests run as.
const USER_ID = 10001;

/**
 * Options for Flagger's loadtester.
 */
export interface LoadTesterOptions {
  /**
   * The loadtester image, pinned by a version tag or a digest.
   *
   * @default 'ghcr.io/fluxcd/flagger-loadtester:0.38.0'
   */
  readonly image?: string;

  /**
   * Namespaces of the pods that may call the loadtester (Flagger's). It runs whatever command it is
   * sent, so everything else is denied by a NetworkPolicy, which a NetworkPolicy-enforcing CNI must
   * apply (Calico, Cilium, Antrea, ...; without one any pod can post commands to it).
   *
   * @default ['flagger-system']
   */
  readonly allowedNamespaces?: string[];

  /**
   * Labels of the pods, in `allowedNamespaces`, that may call the loadtester: Flagger's controller.
   * Give `{ app: 'flagger' }` for Flagger installed from its kustomize base, or the labels of your
   * own install; `{}` admits every pod of those namespaces.
   *
   * @default { 'app.kubernetes.io/name': 'flagger' } - the labels Flagger's Helm chart puts on its pods
   */
  readonly callerPodLabels?: { [key: string]: string };

  /**
   * Serve only canaries whose namespace matches this regular expression as a whole
   * (`-namespace-regexp`): Flagger posts the Canary's namespace with every call, and the loadtester
   * refuses commands and gates of any other (403), so a Canary of another team cannot point its
   * webhooks here. RE2 syntax (Go's regexp: no lookarounds, no backreferences). Go's regexp matches
   * anywhere in the name, so the loadtester is given `^(?:<value>)$`: `team-a|team-b` serves exactly
   * those two namespaces, never `team-a-evil` (anchors of your own change nothing).
   *
   * @default - '^<namespace>$': only the canaries of the loadtester's own namespace
   */
  readonly namespaceRegexp?: string;

  /**
   * Where the loadtester resolves names: its NetworkPolicy allows DNS to these pods only.
   *
   * @default - the cluster DNS pods (`k8s-app: kube-dns` in kube-system) alone
   */
  readonly dns?: ClusterDnsOptions;

  /**
   * How long a command may run before the loadtester kills it (`-timeout`).
   *
   * @default Duration.hours(1)
   */
  readonly timeout?: Duration;

  /**
   * Log level: one of debug, info, warn, error, fatal, panic.
   *
   * @default 'info'
   */
  readonly logLevel?: string;

  /**
   * CPU and memory of the loadtester container.
   *
   * @default - requests 10m CPU and 32Mi memory, limits 1000m CPU and 512Mi memory
   */
  readonly resources?: kplus.ContainerResources;

  /**
   * Pods the loadtester may call besides DNS. Each CanaryService adds what its load and acceptance
   * tests need (its canary pods, the ingress controller); more can be added with `allowEgress()`.
   *
   * @default - DNS only, until services add their targets
   */
  readonly egress?: LoadEgress[];

  /**
   * Address ranges (CIDRs, IPv4 or IPv6) admitted to the loadtester's port besides Flagger's pods:
   * the API server's, for `cdk8s-canary ... --via proxy` (`LoadTesterAccess.PROXY`), whose
   * Service proxy connects from the control plane, which no namespace selector matches. Which
   * addresses those are depends on the cluster: the control plane's node or endpoint addresses
   * (`kubectl get endpoints kubernetes -n default`) on self-managed clusters and kind, the control
   * plane's private range on managed ones (e.g. GKE's master-ipv4-cidr). With Cilium and a control
   * plane on the cluster's nodes (kubeadm, k3s, kind), an `ipBlock` does not match the nodes unless
   * Cilium runs with `policy-cidr-match-mode: nodes` (or a CiliumNetworkPolicy allows
   * `fromEntities: [kube-apiserver]` to the loadtester's port 8080). Everything in these ranges
   * may post commands to the loadtester: keep them narrow.
   *
   * @default - none: only Flagger's pods; --via proxy cannot reach the loadtester
   */
  readonly allowIngressFromCidrs?: string[];
}

/**
 * Properties of a `LoadTester`.
 */
export interface LoadTesterProps extends LoadTesterOptions {
  /**
   * The namespace the loadtester runs in.
   */
  readonly namespace: string;
}

/**
 * Flagger's loadtester: a Deployment, a Service `flagger-loadtester` and a NetworkPolicy that
 * admits calls only from Flagger's pods and lets it call only the cluster DNS and the pods its tests
 * need; it serves only the canaries of its own namespace (`-namespace-regexp`). Runs under Pod
 * Security "restricted" with no service account token, and outside the Istio mesh
 * (`sidecar.istio.io/inject: "false"`): Flagger calls it from outside the mesh.
 *
 * @see https://docs.flagger.app/usage/webhooks#load-testing
 */
export class LoadTester extends Construct {
  /**
   * The loadtester of `namespace` in this app, created in the namespace's shared Chart
   * (`canary-shared-<namespace>`, or `canary-shared-<namespace>-<appName>` in an app named with
   * `SharedAddons.configure`: a file of its own) if there is none yet.
   * `options` apply only when it is created.
   */
  public static of(scope: Construct, namespace: string, options: LoadTesterOptions = {}): LoadTester {
    checkArguments('LoadTester.of', [scope, namespace, options]);
    return namespaceSingleton(scope, SINGLETON_KIND, namespace,
      (chart, id) => new LoadTester(chart, id, { ...options, namespace }));
  }

  /** The namespace the loadtester runs in. */
  public readonly namespace: string;

  /**
   * The name of its Deployment, Service and NetworkPolicy and its pods' `app.kubernetes.io/name`:
   * `flagger-loadtester`, or `flagger-loadtester-<appName>` in an app named with `SharedAddons.configure`.
   */
  public readonly name: string;

  /** The loadtester's Deployment. */
  public readonly deployment: kplus.Deployment;

  /** The loadtester's Service. */
  public readonly service: kplus.Service;

  /** The NetworkPolicy that admits calls only from Flagger's pods and allows only the egress its tests need. */
  public readonly networkPolicy: kplus.NetworkPolicy;

  /**
   * The namespaces whose canaries it serves (`-namespace-regexp`), anchored: `^shop$` by default,
   * `^(?:<namespaceRegexp>)$` for one given.
   */
  public readonly namespaceRegexp: string;

  /** Address ranges admitted besides Flagger's pods (`allowIngressFromCidrs`): the API server's, for `--via proxy`. */
  public readonly ingressCidrs: string[];

  private readonly egressRules: EgressRules;

  /** The loadtester's in-cluster address, with a trailing slash: `http://<name>.<namespace>/`. */
  public readonly url: string;

  constructor(scope: Construct, id: string, props: LoadTesterProps) {
    super(checkArguments<Construct>('LoadTester.new', [scope, id, props]), id);
    checkEmittedObjects(this);
    const owner = `LoadTester '${this.node.path}'`;
    this.namespace = checkDnsLabel(owner, 'namespace', props.namespace);
    const image = checkImmutableImage(owner, 'image', checkPinnedImage(owner, 'image', props.image ?? LOAD_TESTER_IMAGE));
    const allowedNamespaces = props.allowedNamespaces ?? [FLAGGER_NAMESPACE];
    if (allowedNamespaces.length === 0) {
      fail(owner, "'allowedNamespaces' ([]) must name at least one namespace");
    }
    allowedNamespaces.forEach((ns) => checkDnsLabel(owner, 'allowedNamespaces', ns));
    checkUniqueNames(owner, 'allowedNamespaces', allowedNamespaces);
    const logLevel = props.logLevel ?? 'info';
    if (!LOG_LEVELS.includes(logLevel)) {
      fail(owner, `'logLevel' ('${logLevel}') must be one of ${LOG_LEVELS.join(', ')}`);
    }
    const timeout = checkWholeSeconds(owner, 'timeout', props.timeout ?? Duration.hours(1), 1);
    this.namespaceRegexp = props.namespaceRegexp === undefined ? `^${this.namespace}$` : anchoredNamespaceRegexp(owner, props.namespaceRegexp);
    const callerPodLabels = props.callerPodLabels ?? { ...FLAGGER_POD_LABELS };
    if (props.dns !== undefined) resolveClusterDns(owner, 'dns', props.dns);

    // Registers this one, or finds the one already declared for the namespace: two would
    // synthesize the same Deployment and Service twice.
    const existing = namespaceSingleton(this, SINGLETON_KIND, this.namespace, () => this);
    if (existing !== this) {
      fail(owner, `namespace '${this.namespace}' already has a loadtester ('${existing.node.path}'); use LoadTester.of(scope, '${this.namespace}') to share it`);
    }

    // Named after the app when it has a name: another app's loadtester in this namespace has other
    // objects and selects other pods.
    this.name = ownedName(this, LOAD_TESTER_NAME);
    const selectorLabels = { [SELECTOR_LABEL]: this.name };
    const metadata = { name: this.name, namespace: this.namespace, labels: { ...selectorLabels, ...LABELS } };
    const args = [
      `-port=${LOAD_TESTER_CONTAINER_PORT}`, `-log-level=${logLevel}`, `-timeout=${toLongDuration(timeout)}`,
      `-namespace-regexp=${this.namespaceRegexp}`,
    ];
    const health = kplus.Probe.fromHttpGet('/healthz', { port: LOAD_TESTER_CONTAINER_PORT });

    this.deployment = new kplus.Deployment(this, 'Deployment', {
      metadata,
      select: false,
      podMetadata: { labels: { ...selectorLabels, ...NO_SIDECAR_LABELS } },
      replicas: 1,
      automountServiceAccountToken: false,
      containers: [{
        name: 'loadtester',
        image,
        imagePullPolicy: kplus.ImagePullPolicy.IF_NOT_PRESENT,
        args,
        ports: [{ name: 'http', number: LOAD_TESTER_CONTAINER_PORT, protocol: kplus.Protocol.TCP }],
        readiness: health,
        liveness: health,
        resources: props.resources ?? {
          cpu: { request: kplus.Cpu.millis(10), limit: kplus.Cpu.millis(1000) },
          memory: { request: Size.mebibytes(32), limit: Size.mebibytes(512) },
        },
        securityContext: restrictedSecurityContext(USER_ID),
        // The tools write temporary files (to TMPDIR) and the root filesystem is read-only; the
        // volume leaves the image's own /tmp/ghz visible.
        envVariables: { TMPDIR: kplus.EnvValue.fromValue(LOAD_TESTER_SCRATCH_DIR) },
        volumeMounts: [{ path: LOAD_TESTER_SCRATCH_DIR, volume: kplus.Volume.fromEmptyDir(this, 'Tmp', 'tmp') }],
      }],
    });
    selectPodsByLabels(this.deployment, selectorLabels);

    this.service = new kplus.Service(this, 'Service', {
      metadata,
      ports: [{ name: 'http', port: LOAD_TESTER_SERVICE_PORT, targetPort: LOAD_TESTER_CONTAINER_PORT, protocol: kplus.Protocol.TCP }],
    });
    for (const [key, value] of Object.entries(selectorLabels)) {
      this.service.selectLabel(key, value);
    }

    // Selecting by labels (not by the Deployment) keeps the construct-path label out of the policy.
    // The callers: Flagger's pods in its namespaces (a namespace and a pod selector in one peer: both must match).
    const callers = kplus.Pods.select(this, 'Callers', {
      labels: Object.keys(callerPodLabels).length > 0 ? { ...callerPodLabels } : undefined,
      namespaces: kplus.Namespaces.select(this, 'AllowedNamespaces', { names: allowedNamespaces }),
    });
    this.networkPolicy = new kplus.NetworkPolicy(this, 'NetworkPolicy', {
      metadata,
      selector: kplus.Pods.select(this, 'Pods', { labels: selectorLabels }),
      ingress: {
        rules: [{ peer: callers, ports: [kplus.NetworkPolicyPort.tcp(LOAD_TESTER_CONTAINER_PORT)] }],
      },
    });

    this.egressRules = new EgressRules(this.networkPolicy, this.networkPolicy, props.dns);
    (props.egress ?? []).forEach((egress) => this.allowEgress(egress));

    this.url = `${serviceAddress(this.name, this.namespace)}/`;
    this.ingressCidrs = [...props.allowIngressFromCidrs ?? []];
    admitCidrs(this, owner, this.ingressCidrs);
  }

  /**
   * Lets the loadtester call these pods (an egress rule of its NetworkPolicy). Idempotent.
   *
   * @param egress the pods and their container ports
   */
  public allowEgress(egress: LoadEgress): void {
    checkArguments('LoadTester.allowEgress', [egress], `LoadTester '${this.node.id}'`);
    checkDnsLabel(`LoadTester '${this.node.path}'`, 'egress.namespace', egress.namespace);
    egress.ports.forEach((port) => checkPort(`LoadTester '${this.node.path}'`, 'egress.ports', port));
    this.egressRules.allow(egress);
  }

  /**
   * Whether it serves the canaries of `namespace` (its `-namespace-regexp` matches it).
   *
   * @param namespace a Canary's namespace
   */
  public servesNamespace(namespace: string): boolean {
    checkArguments('LoadTester.servesNamespace', [namespace], `LoadTester '${this.node.id}'`);
    // The default, `^<namespace>$`, without loading the RE2 parser.
    return this.namespaceRegexp === `^${this.namespace}$` ? namespace === this.namespace : re2Finds(this.namespaceRegexp, namespace);
  }

  /**
   * The loadtester's address for a path, e.g. `urlFor('gate/check')` gives
   * `http://flagger-loadtester.<namespace>/gate/check`.
   */
  public urlFor(path: string): string {
    checkArguments('LoadTester.urlFor', [path], `LoadTester '${this.node.id}'`);
    return `${this.url}${path.replace(/^\/+/, '')}`;
  }
}

const GO_REGEXP = "the loadtester matches with Go's regexp, RE2 syntax";

/**
 * `^(?:<value>)$`: the loadtester matches with Go's regexp.MatchString, which finds a match anywhere
 * (flagger pkg/loadtester/authorizer.go), so `^team-a|team-b$` as it is would serve `team-a-evil`.
 * An RE2 expression has balanced groups, so nothing in it can close the group around it.
 */
function anchoredNamespaceRegexp(owner: string, value: string): string {
  if (value === '') {
    fail(owner, "'namespaceRegexp' ('') must be a non-empty regular expression");
  }
  checkRe2(owner, 'namespaceRegexp', value, GO_REGEXP);
  const anchored = `^(?:${value})$`;
  // An unterminated \Q...\E quotes the closing group: RE2 alone, the value is fine; anchored, it is not.
  const problem = re2Problem(anchored);
  if (problem !== undefined) fail(owner, re2Message("'namespaceRegexp'", value, `anchored as '${anchored}', ${problem}`, GO_REGEXP));
  return anchored;
}

/** Ingress rules for address ranges (`allowIngressFromCidrs`), each checked as an IPv4 or IPv6 CIDR. */
function admitCidrs(tester: LoadTester, owner: string, cidrs: string[]): void {
  const bad = cidrs.filter((cidr) => cidrVersion(cidr) === undefined);
  if (bad.length > 0) {
    fail(owner, `'allowIngressFromCidrs' (${bad.map((c) => `'${c}'`).join(', ')}) must be CIDRs such as '172.18.0.0/16' or 'fd00::/64'`);
  }
  cidrs.forEach((cidr, index) => {
    const peer = cidrVersion(cidr) === 4
      ? kplus.NetworkPolicyIpBlock.ipv4(tester, `IngressCidr${index}`, cidr)
      : kplus.NetworkPolicyIpBlock.ipv6(tester, `IngressCidr${index}`, cidr);
    tester.networkPolicy.addIngressRule(peer, [kplus.NetworkPolicyPort.tcp(LOAD_TESTER_CONTAINER_PORT)]);
  });
}

function cidrVersion(cidr: string): 4 | 6 | undefined {
  const [address, bits, ...rest] = cidr.split('/');
  if (rest.length > 0 || bits === undefined || !/^\d{1,3}$/.test(bits)) return undefined;
  const version = isIP(address);
  if (version === 4 && Number(bits) <= 32) return 4;
  if (version === 6 && Number(bits) <= 128) return 6;
  return undefined;
}
