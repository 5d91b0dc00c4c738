import * as kplus from 'cdk8s-plus-28';
import { Construct } from 'constructs';
import { ClusterDnsOptions } from './cluster-dns';
import { LoadEgress } from '../analysis/load-test';
import { CLUSTER_DNS_NAMESPACE, CLUSTER_DNS_POD_LABELS } from '../platform/conventions';
import { checkDnsLabel, fail } from '../validation';

const IPV4 = /^(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)(\.(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)){3}$/;
const IPV6 = /^[0-9a-fA-F:]+$/;

/** Checks DNS options and fills in the defaults. */
export function resolveClusterDns(owner: string, property: string, dns: ClusterDnsOptions = {}): Required<ClusterDnsOptions> {
  // The former name: no type check stops a JavaScript caller, and ignoring it would drop the NodeLocal DNSCache rule.
  const renamed = (dns as { nodeLocalAddress?: unknown }).nodeLocalAddress;
  if (renamed !== undefined) {
    fail(owner, `'${property}.nodeLocalAddress' ('${renamed}') was renamed: write ${property}.extraAddresses: ['${renamed}']`);
  }
  const namespace = checkDnsLabel(owner, `${property}.namespace`, dns.namespace ?? CLUSTER_DNS_NAMESPACE);
  const podLabels = dns.podLabels ?? { ...CLUSTER_DNS_POD_LABELS };
  if (Object.keys(podLabels).length === 0) {
    fail(owner, `'${property}.podLabels' ({}) must name at least one label of the cluster DNS pods, e.g. { 'k8s-app': 'kube-dns' }: without one, DNS would be allowed to every pod of '${namespace}'`);
  }
  const extraAddresses = dns.extraAddresses ?? [];
  extraAddresses.forEach((address, i) => {
    if (!IPV4.test(address) && !(address.includes(':') && IPV6.test(address))) {
      fail(owner, `'${property}.extraAddresses[${i}]' ('${address}') must be an IP address, e.g. the kube-dns Service's ClusterIP, '169.254.20.10' (NodeLocal DNSCache in IPVS mode) or '169.254.169.254' (GKE Cloud DNS)`);
    }
  });
  if (new Set(extraAddresses).size !== extraAddresses.length) {
    fail(owner, `'${property}.extraAddresses' (${extraAddresses.map((a) => `'${a}'`).join(', ')}) names an address twice: give each once`);
  }
  return { ...dns, namespace, podLabels, extraAddresses };
}

/**
 * Egress rules for pods that run commands (the loadtester, Argo's test Jobs) and for the embedded
 * Prometheus: DNS to the cluster DNS pods (and the extra DNS addresses given), and exactly
 * the pods they need, each rule once. Rules keep the order they were asked for.
 */
export class EgressRules {
  private readonly seen = new Set<string>();
  private count = 0;

  public constructor(private readonly scope: Construct, private readonly policy: kplus.NetworkPolicy, dns: ClusterDnsOptions = {}) {
    const resolved = resolveClusterDns(scope.node.path, 'dns', dns);
    const dnsPorts = [kplus.NetworkPolicyPort.udp(53), kplus.NetworkPolicyPort.tcp(53)];
    const dnsPods = kplus.Pods.select(scope, 'DnsPods', {
      labels: { ...resolved.podLabels },
      namespaces: kplus.Namespaces.select(scope, 'DnsNamespace', { names: [resolved.namespace] }),
    });
    policy.addEgressRule(dnsPods, dnsPorts);
    resolved.extraAddresses.forEach((address, i) => {
      const block = address.includes(':')
        ? kplus.NetworkPolicyIpBlock.ipv6(scope, `ExtraDns${i}`, `${address}/128`)
        : kplus.NetworkPolicyIpBlock.ipv4(scope, `ExtraDns${i}`, `${address}/32`);
      policy.addEgressRule(block, dnsPorts);
    });
  }

  /** Allows traffic to the pods of `egress` on its ports. Idempotent. */
  public allow(egress: LoadEgress): void {
    const ports = [...new Set(egress.ports)].sort((a, b) => a - b);
    const key = JSON.stringify([egress.namespace, egress.podLabels ?? {}, egress.podLabelIn ?? null, ports]);
    if (this.seen.has(key)) return;
    this.seen.add(key);
    const id = `Egress${this.count++}`;
    const peer = kplus.Pods.select(this.scope, id, {
      labels: egress.podLabels ? { ...egress.podLabels } : undefined,
      expressions: egress.podLabelIn ? [kplus.LabelExpression.in(egress.podLabelIn.key, [...egress.podLabelIn.values])] : undefined,
      namespaces: kplus.Namespaces.select(this.scope, `${id}Namespace`, { names: [egress.namespace] }),
    });
    this.policy.addEgressRule(peer, ports.map((port) => kplus.NetworkPolicyPort.tcp(port)));
  }
}
