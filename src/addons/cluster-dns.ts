/**
 * Where the pods that run commands (the loadtester, Argo Rollouts' analysis Jobs) and the embedded
 * Prometheus resolve names: their NetworkPolicies allow DNS to these pods only, not port 53 of
 * every address (which would let a command reach any host on 53 and tunnel over DNS).
 */
export interface ClusterDnsOptions {
  /**
   * Namespace of the cluster DNS pods.
   *
   * @default 'kube-system'
   */
  readonly namespace?: string;

  /**
   * Labels of the cluster DNS pods. CoreDNS and kube-dns both carry `k8s-app: kube-dns` in
   * kube-system (kubeadm, EKS, GKE, AKS, kind, k3s).
   *
   * @default { 'k8s-app': 'kube-dns' }
   */
  readonly podLabels?: { [key: string]: string };

  /**
   * Addresses that answer DNS but are not the cluster DNS pods, allowed on port 53 (UDP and TCP)
   * as an `ipBlock` of one address each. Needed wherever NodeLocal DNSCache runs: its pods use the
   * node's network, so no pod selector matches them.
   * - kube-proxy in iptables mode (and GKE, whose Autopilot always runs NodeLocal DNSCache, and
   *   Standard by default from 1.33.1): pods keep the kube-dns Service's ClusterIP in resolv.conf
   *   and node-local-dns answers on that IP on the node, so give that ClusterIP
   *   (`kubectl -n kube-system get service kube-dns`).
   * - kube-proxy in IPVS mode: kubelet points pods at NodeLocal DNSCache's link-local address,
   *   usually `169.254.20.10`.
   * - GKE with Cloud DNS: the metadata server, `169.254.169.254`.
   *
   * @default - none: DNS goes to the cluster DNS pods alone
   */
  readonly extraAddresses?: string[];
}
