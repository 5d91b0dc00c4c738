import * as path from 'path';
import { Chart } from 'cdk8s';
import { Construct } from 'constructs';

const FIX = 'Install cdk8s-canary from the registry or from a tarball (`npm pack` here, `npm install ./cdk8s-canary-<version>.tgz` in the app), '
  + 'not from a folder (`npm install ../cdk8s-canary` links it together with its own node_modules), then run `npm ls cdk8s constructs` to check that one copy of each remains (`npm dedupe` merges them).';

/** Where this package's copy of a module is installed, for the message. */
function installedAt(module: string): string {
  try {
    const main = require.resolve(module);
    const marker = `${path.sep}node_modules${path.sep}${module}${path.sep}`;
    const at = main.lastIndexOf(marker);
    return at >= 0 ? main.slice(0, at + marker.length - 1) : main;
  } catch {
    return module;
  }
}

/**
 * Fails when the app's constructs come from another copy of constructs or cdk8s than the one this
 * package loads. Two copies build a tree that synth cannot render ("can't render non-simple object
 * of type 'Lazy'", from deep inside cdk8s); said here, at the declaration, it can be fixed.
 */
export function checkSingleCopies(self: Construct): void {
  const parent = self.node.scope;
  if (parent !== undefined && !(parent instanceof Construct)) {
    throw new Error(`cdk8s-canary: two copies of the 'constructs' package are loaded: the app's scope '${(parent as Construct).node.path}' comes from one, and cdk8s-canary uses the one at ${installedAt('constructs')}. ${FIX}`);
  }
  const chart: Construct | undefined = self.node.scopes.slice().reverse().find((scope) => Chart.isChart(scope));
  // Not `instanceof`: cdk8s's Chart answers it with isChart(), which any copy's Chart passes.
  if (chart !== undefined && !Object.prototype.isPrototypeOf.call(Chart.prototype, chart)) {
    throw new Error(`cdk8s-canary: two copies of the 'cdk8s' package are loaded: the app's Chart '${chart.node.path}' comes from one, and cdk8s-canary uses the one at ${installedAt('cdk8s')}; objects of one copy cannot render values of the other. ${FIX}`);
  }
}
