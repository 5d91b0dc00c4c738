import { spawnSync } from 'child_process';

/** Throws, saying what to install, when jq does not run here: the jq-path tests never skip. */
export function requireJq(): void {
  if (spawnSync('jq', ['--version'], { encoding: 'utf-8' }).status !== 0) {
    throw new Error("jq does not run here, and these tests apply Argo CD's jq paths with it: install Debian's 'jq' package (apt-get install jq)");
  }
}
