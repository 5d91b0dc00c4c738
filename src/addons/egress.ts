import * as kplus from 'cdk8s-plus-28';
import { Construct } from 'constructs';
import { LoadEgress } from '../analysis/load-test';

/**
 * Egress rules for pods that run commands (the loadtester, Argo's test Jobs): DNS, and exactly the
 * pods their tests need, each rule once. Rules keep the order they were asked for.
 */
export class EgressRules {
  private readonly seen = new Set<string>();
  private count = 0;

  public constructor(private readonly scope: Construct, private readonly policy: kplus.NetworkPolicy) {
    // DNS, wherever the resolver is (kube-dns in kube-system, or NodeLocal DNSCache on a link-local address).
    const anywhere = kplus.NetworkPolicyIpBlock.anyIpv4(scope, 'DnsAnywhere');
    policy.addEgressRule(anywhere, [kplus.NetworkPolicyPort.udp(53), kplus.NetworkPolicyPort.tcp(53)]);
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
