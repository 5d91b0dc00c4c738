import { ApiObject } from 'cdk8s';
import { EXPECTATION_ANNOTATIONS } from './expectation-keys';
import { RehearsalExpectations } from './rehearsal-options';
import { formatDuration } from '../plan/format';
import { DeclarationErrors, fail } from '../validation';

/** Checks a declaration's rehearsal expectations; every mistake at once. */
export function checkExpectations(owner: string, expectations: RehearsalExpectations | undefined): void {
  if (!expectations) return;
  const errors = new DeclarationErrors();
  const percent = (property: keyof RehearsalExpectations, value: number | undefined) => errors.attempt(() => {
    if (value !== undefined && !(Number.isFinite(value) && value >= 0 && value <= 100)) fail(owner, `'rehearsal.${property}' (${value}) must be a percentage from 0 to 100`);
  });
  errors.attempt(() => {
    const users = expectations.usersPerSecond;
    if (users !== undefined && !(Number.isFinite(users) && users >= 0)) fail(owner, `'rehearsal.usersPerSecond' (${users}) must be a number of requests per second, 0 or more`);
  });
  errors.attempt(() => {
    const within = expectations.stopsBadWithin;
    if (within !== undefined && !(within.toSeconds() > 0)) fail(owner, `'rehearsal.stopsBadWithin' (${within.toSeconds()}s) must be longer than 0 seconds`);
  });
  percent('maxBadWeight', expectations.maxBadWeight);
  percent('maxFalseAlarmPercent', expectations.maxFalseAlarmPercent);
  percent('maxMissPercent', expectations.maxMissPercent);
  errors.throwIfAny();
}

/** Writes the expectations onto the Canary or Rollout as annotations, which the rehearsal reads. */
export function annotateExpectations(object: ApiObject, expectations: RehearsalExpectations | undefined): void {
  if (!expectations) return;
  const set = (key: string, value: string | undefined) => {
    if (value !== undefined) object.metadata.addAnnotation(key, value);
  };
  set(EXPECTATION_ANNOTATIONS.usersPerSecond, expectations.usersPerSecond?.toString());
  set(EXPECTATION_ANNOTATIONS.stopsBadWithin, expectations.stopsBadWithin ? formatDuration(expectations.stopsBadWithin) : undefined);
  set(EXPECTATION_ANNOTATIONS.maxBadWeight, expectations.maxBadWeight?.toString());
  set(EXPECTATION_ANNOTATIONS.maxFalseAlarms, expectations.maxFalseAlarmPercent === undefined ? undefined : `${expectations.maxFalseAlarmPercent}%`);
  set(EXPECTATION_ANNOTATIONS.maxMisses, expectations.maxMissPercent === undefined ? undefined : `${expectations.maxMissPercent}%`);
  const users = expectations.requiresUserTraffic;
  set(EXPECTATION_ANNOTATIONS.requiresUserTraffic, users === undefined ? undefined : String(users));
}
