import { ApiObject } from 'cdk8s';
import { Construct } from 'constructs';
import { namespaceSingleton, ownedName, sharedObjectAnnotations } from '../addons/namespace-singleton';
import { checkArguments } from '../arguments/check-arguments';
import { CanaryService } from '../canary-service';
import { LOAD_TESTER_CONTAINER_PORT, LOAD_TESTER_NAME, LOAD_TESTER_SERVICE_PORT, RELEASE_RECORD_CONFIGMAP } from '../platform/conventions';
import { checkEmittedObjects } from '../synth/object-validity';
import { checkDnsLabel, checkDnsSubdomain, fail } from '../validation';

/** How `cdk8s-canary gate|promote|abort|status|reset` reach a Flagger loadtester. */
export enum LoadTesterAccess {
  /**
   * `kubectl exec` into the loadtester and curl on localhost (the CLI's default: the loadtester's
   * NetworkPolicy cannot block it). RBAC cannot name a Deployment's pods, so this grants exec into
   * every pod of the namespace (`create`, `get` on `pods/exec`): a shell in each of them.
   */
  EXEC = 'EXEC',
  /**
   * The API server's Service proxy (`--via proxy`): `create` on `services/proxy` of the loadtester
   * alone. The loadtester's NetworkPolicy must then admit the API server's addresses
   * (`LoadTesterOptions.allowIngressFromCidrs`).
   */
  PROXY = 'PROXY',
}

/** A ServiceAccount bound to the Role (a chat-ops bot or a CI job in a pod). */
export interface ServiceAccountSubject {
  /** Its name. */
  readonly name: string;
  /**
   * Its namespace.
   *
   * @default - the services' namespace
   */
  readonly namespace?: string;
}

/** Props of `ReleaseOperatorRole`. */
export interface ReleaseOperatorRoleProps {
  /** The services the operators release; all in one namespace (a Role is namespaced). */
  readonly services: CanaryService[];
  /**
   * How the CLI reaches the loadtester of Flagger services.
   *
   * @default LoadTesterAccess.EXEC
   */
  readonly loadTesterAccess?: LoadTesterAccess;
  /**
   * Name of the Role and of its RoleBinding.
   *
   * @default - 'cdk8s-canary-release-operator', or 'cdk8s-canary-release-operator-<appName>' in an app named by `SharedAddons.configure`
   */
  readonly name?: string;
  /**
   * Groups bound to the Role.
   *
   * @default - none
   */
  readonly groups?: string[];
  /**
   * Users bound to the Role.
   *
   * @default - none
   */
  readonly users?: string[];
  /**
   * ServiceAccounts bound to the Role.
   *
   * @default - none
   */
  readonly serviceAccounts?: ServiceAccountSubject[];
}

/** One rule of the Role, as emitted. */
export interface ReleaseOperatorRule {
  /** API groups. */
  readonly apiGroups: string[];
  /** Resources, `resource/subresource` for a subresource. */
  readonly resources: string[];
  /**
   * The objects it is limited to.
   *
   * @default - every object of the resources
   */
  readonly resourceNames?: string[];
  /** Verbs. */
  readonly verbs: string[];
}

const SINGLETON_KIND = 'ReleaseRecord';

/** The default name of the Role and RoleBinding; per app in a named app, so that two apps of a namespace never write the same Role. */
const RELEASE_OPERATOR_NAME = 'cdk8s-canary-release-operator';

/**
 * The least privilege the release commands of `cdk8s-canary` need for some services, as a Role
 * (and a RoleBinding when subjects are given) in their namespace, plus the ConfigMap
 * `cdk8s-canary-gates` in which the commands record which release a Flagger gate was opened for.
 *
 * Per command: `status` reads the Canary or Rollout (and checks the loadtester's gates, reading the
 * record when one is open); `gate`, `promote`, `abort` and `reset` on Flagger also call the
 * loadtester (by `kubectl exec`: get the loadtester Deployment, list pods, exec; or by the Service
 * proxy) and write the record; `promote` and `abort` on Argo Rollouts patch the Rollout's status
 * subresource only. Nothing lets an operator change a Canary's or Rollout's spec: promoting a
 * Rollout someone paused with `kubectl argo rollouts pause` (`spec.paused`) needs `patch` on
 * rollouts as well, which this Role does not grant.
 */
export class ReleaseOperatorRole extends Construct {
  /** The Role. */
  public readonly role: ApiObject;
  /** The RoleBinding, when subjects were given. */
  public readonly roleBinding?: ApiObject;
  /** The rules of the Role. */
  public readonly rules: ReleaseOperatorRule[];
  /** The namespace of the services, the Role and the record. */
  public readonly namespace: string;

  constructor(scope: Construct, id: string, props: ReleaseOperatorRoleProps) {
    super(checkArguments<Construct>('ReleaseOperatorRole.new', [scope, id, props]), id);
    checkEmittedObjects(this);
    const owner = `ReleaseOperatorRole '${this.node.path}'`;
    if (props.services.length === 0) fail(owner, "'services' ([]) must name at least one CanaryService");
    const namespaces = [...new Set(props.services.map((s) => s.namespace))];
    if (namespaces.length > 1) {
      fail(owner, `'services' (${props.services.map((s) => `${s.namespace}/${s.name}`).join(', ')}) must all be in one namespace: a Role is namespaced; declare one ReleaseOperatorRole per namespace`);
    }
    this.namespace = namespaces[0];
    const name = checkDnsSubdomain(owner, 'name', props.name ?? ownedName(this, RELEASE_OPERATOR_NAME));
    (props.serviceAccounts ?? []).forEach((sa) => {
      checkDnsSubdomain(owner, 'serviceAccounts.name', sa.name);
      if (sa.namespace !== undefined) checkDnsLabel(owner, 'serviceAccounts.namespace', sa.namespace);
    });
    const flagger = props.services.filter((s) => s.canary !== undefined).map((s) => s.name).sort();
    const argo = props.services.filter((s) => s.rollout !== undefined).map((s) => s.name).sort();
    const access = props.loadTesterAccess ?? LoadTesterAccess.EXEC;
    // The loadtesters the Flagger services call (one per app: `flagger-loadtester[-<appName>]`).
    const flaggerTesters = props.services.filter((s) => s.canary !== undefined).flatMap((s) => (s.loadTester ? [s.loadTester.name] : []));
    const testers = [...new Set(flaggerTesters)].sort();
    this.rules = rulesFor(flagger, argo, access, testers.length > 0 ? testers : [LOAD_TESTER_NAME]);
    if (access === LoadTesterAccess.PROXY) noteProxyAccess(this.node.path, props.services);

    const labels = { 'app.kubernetes.io/managed-by': 'cdk8s-canary', 'app.kubernetes.io/component': 'release-operator' };
    const metadata = { name, namespace: this.namespace, labels };
    this.role = new ApiObject(this, 'Role', {
      apiVersion: 'rbac.authorization.k8s.io/v1',
      kind: 'Role',
      metadata,
      rules: this.rules.map((rule) => ({ ...rule })),
    } as any);
    const subjects = [
      ...(props.groups ?? []).map((group) => ({ kind: 'Group', apiGroup: 'rbac.authorization.k8s.io', name: group })),
      ...(props.users ?? []).map((user) => ({ kind: 'User', apiGroup: 'rbac.authorization.k8s.io', name: user })),
      ...(props.serviceAccounts ?? []).map((sa) => ({ kind: 'ServiceAccount', name: sa.name, namespace: sa.namespace ?? this.namespace })),
    ];
    if (subjects.length > 0) {
      this.roleBinding = new ApiObject(this, 'RoleBinding', {
        apiVersion: 'rbac.authorization.k8s.io/v1',
        kind: 'RoleBinding',
        metadata,
        roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name },
        subjects,
      } as any);
    }
    if (flagger.length > 0) {
      // One record per namespace, beside the loadtester, however many Roles the namespace has.
      namespaceSingleton(this, SINGLETON_KIND, this.namespace, (chart, chartId) => new ApiObject(chart, chartId, {
        apiVersion: 'v1',
        kind: 'ConfigMap',
        metadata: {
          name: RELEASE_RECORD_CONFIGMAP,
          namespace: this.namespace,
          labels: { 'app.kubernetes.io/managed-by': 'cdk8s-canary', 'app.kubernetes.io/component': 'release-record' },
          // Every named app of the namespace writes it: retiring one must not take the others' records.
          annotations: sharedObjectAnnotations(this),
        },
      }));
    }
  }
}

/**
 * The Service proxy connects from the API server's addresses, which a loadtester admits only with
 * `allowIngressFromCidrs`: without them, `--via proxy` is refused by its NetworkPolicy. A plan note,
 * not a failure: a CNI policy of one's own (e.g. Cilium's `kube-apiserver` entity) may admit it.
 * Cilium's ipBlock matches no node unless `policy-cidr-match-mode` includes `nodes` (Cilium docs,
 * security/policy/language.rst, "Selecting nodes with CIDR / ipBlock"), so the control-plane node
 * addresses of a self-managed cluster are no answer there on their own.
 */
function noteProxyAccess(path: string, services: CanaryService[]): void {
  for (const service of services) {
    const tester = service.canary !== undefined ? service.loadTester : undefined;
    if (tester === undefined || tester.ingressCidrs.length > 0) continue;
    service._addOperationNote(`ReleaseOperatorRole '${path}' gives operators --via proxy (LoadTesterAccess.PROXY), but the loadtester `
      + `'${tester.namespace}/${tester.name}' admits only the controller's pods, not the API server's Service proxy: declare `
      + `LoadTester.of(scope, '${tester.namespace}', { allowIngressFromCidrs: [<the API server's addresses>] }) before the namespace's first service `
      + "(the control plane's addresses, from kubectl get endpoints kubernetes -n default, on self-managed clusters and kind; its private range on "
      + 'managed ones; with Cilium and a control plane on the cluster\'s nodes (kubeadm, k3s, kind), an ipBlock matches no node unless Cilium runs with '
      + `policy-cidr-match-mode: nodes, or admit the API server with a CiliumNetworkPolicy fromEntities: [kube-apiserver] on the loadtester's port ${LOAD_TESTER_CONTAINER_PORT}), `
      + 'or use LoadTesterAccess.EXEC');
  }
}

function rulesFor(flagger: string[], argo: string[], access: LoadTesterAccess, testers: string[]): ReleaseOperatorRule[] {
  const rules: ReleaseOperatorRule[] = [];
  if (flagger.length > 0) {
    rules.push({ apiGroups: ['flagger.app'], resources: ['canaries'], resourceNames: flagger, verbs: ['get'] });
    rules.push({ apiGroups: [''], resources: ['configmaps'], resourceNames: [RELEASE_RECORD_CONFIGMAP], verbs: ['get', 'patch'] });
    if (access === LoadTesterAccess.PROXY) {
      rules.push({ apiGroups: [''], resources: ['services/proxy'], resourceNames: testers.map((tester) => `http:${tester}:${LOAD_TESTER_SERVICE_PORT}`), verbs: ['create'] });
    } else {
      // kubectl exec deploy/flagger-loadtester: get the Deployment, list its pods, then exec
      // (`get` for the WebSocket upgrade, `create` for SPDY and, from Kubernetes 1.35, for both).
      rules.push({ apiGroups: ['apps'], resources: ['deployments'], resourceNames: testers, verbs: ['get'] });
      rules.push({ apiGroups: [''], resources: ['pods'], verbs: ['list'] });
      rules.push({ apiGroups: [''], resources: ['pods/exec'], verbs: ['create', 'get'] });
    }
  }
  if (argo.length > 0) {
    rules.push({ apiGroups: ['argoproj.io'], resources: ['rollouts'], resourceNames: argo, verbs: ['get'] });
    rules.push({ apiGroups: ['argoproj.io'], resources: ['rollouts/status'], resourceNames: argo, verbs: ['patch'] });
  }
  return rules;
}
