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
   * The address of NodeLocal DNSCache on every node (the link-local address its DaemonSet listens
   * on, usually `169.254.20.10`), when the cluster runs it: kubelet then points pods' resolv.conf
   * there, and the NetworkPolicy must allow that address too (an `ipBlock` of one address).
   *
   * @default - no NodeLocal DNSCache
   */
  readonly nodeLocalAddress?: string;
}
