/** The annotations a Canary or Rollout carries its rehearsal's expectations in. */
export const EXPECTATION_ANNOTATIONS = {
  usersPerSecond: 'rehearsal.cdk8s-canary.dev/users-per-second',
  stopsBadWithin: 'rehearsal.cdk8s-canary.dev/stops-bad-within',
  maxBadWeight: 'rehearsal.cdk8s-canary.dev/max-bad-weight',
  maxFalseAlarms: 'rehearsal.cdk8s-canary.dev/max-false-alarms',
  maxMisses: 'rehearsal.cdk8s-canary.dev/max-misses',
  requiresUserTraffic: 'rehearsal.cdk8s-canary.dev/requires-user-traffic',
} as const;
