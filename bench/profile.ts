/*
 * Summarizes a V8 CPU profile (`node --cpu-prof`): the functions with the most self time, and the
 * most inclusive time, with their file; with `--by-package`, the self time by package (cdk8s,
 * cdk8s-plus-28, constructs, the library's src/ folders, ...) under each `--phase` function. Usage:
 *   ts-node --project tsconfig.dev.json bench/profile.ts <file.cpuprofile> [--top 25] [--under <function>]
 *   ts-node --project tsconfig.dev.json bench/profile.ts <file.cpuprofile> --by-package [--phase buildServices --phase synth]
 */
import * as fs from 'fs';
import * as path from 'path';

interface ProfileNode {
  readonly id: number;
  readonly callFrame: { readonly functionName: string; readonly url: string; readonly lineNumber: number };
  readonly children?: number[];
}

interface Profile {
  readonly nodes: ProfileNode[];
  readonly samples: number[];
  readonly timeDeltas: number[];
}

/** A function's share of a profile, in milliseconds. */
export interface FrameTime {
  readonly frame: string;
  readonly selfMs: number;
  readonly totalMs: number;
}

function frameName(node: ProfileNode): string {
  const { functionName, url, lineNumber } = node.callFrame;
  const file = url ? url.replace(/^file:\/\//, '').replace(/.*node_modules\//, '').replace(/.*\/out\//, '') : '';
  return `${functionName || '(anonymous)'} ${file ? `${path.normalize(file)}:${lineNumber + 1}` : ''}`.trim();
}

/**
 * Self and inclusive time per function (recursion counted once per stack); with `under`, only the
 * samples whose stack holds a function whose name contains it.
 */
export function summarize(profile: Profile, under?: string): { totalMs: number; frames: FrameTime[] } {
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const parent = new Map<number, number>();
  for (const n of profile.nodes) {
    for (const c of n.children ?? []) parent.set(c, n.id);
  }
  const self = new Map<string, number>();
  const total = new Map<string, number>();
  let totalMs = 0;
  profile.samples.forEach((id, i) => {
    const ms = (profile.timeDeltas[i] ?? 0) / 1000;
    if (under !== undefined) {
      let inside = false;
      for (let cur: number | undefined = id; cur !== undefined && !inside; cur = parent.get(cur)) {
        inside = frameName(byId.get(cur)!).includes(under);
      }
      if (!inside) return;
    }
    totalMs += ms;
    const leaf = byId.get(id)!;
    self.set(frameName(leaf), (self.get(frameName(leaf)) ?? 0) + ms);
    const seen = new Set<string>();
    for (let cur: number | undefined = id; cur !== undefined; cur = parent.get(cur)) {
      const name = frameName(byId.get(cur)!);
      if (!seen.has(name)) {
        seen.add(name);
        total.set(name, (total.get(name) ?? 0) + ms);
      }
    }
  });
  const frames = [...total.keys()].map((frame) => ({ frame, selfMs: self.get(frame) ?? 0, totalMs: total.get(frame)! }));
  return { totalMs, frames };
}

/** Where a frame's code lives: a package, a folder of the library (`src/synth`), or what V8 calls it. */
export function packageOf(frame: ProfileNode['callFrame']): string {
  const url = frame.url.replace(/^file:\/\//, '');
  if (url === '') return frame.functionName.startsWith('(') ? frame.functionName : '(native)';
  const inModules = url.match(/node_modules\/((?:@[^/]+\/)?[^/]+)\//);
  if (inModules && !url.includes('/.cache/')) return inModules[1];
  const own = url.match(/\/(src|bench|examples)\/(.+)$/);
  if (own) return own[2].includes('/') ? `${own[1]}/${own[2].split('/')[0]}` : own[1];
  return url.startsWith('node:') ? 'node' : url;
}

/** Self time by package, within the samples under a function whose name contains `phase` (all samples without). */
export function byPackage(profile: Profile, phase?: string): { totalMs: number; packages: [string, number][] } {
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const parent = new Map<number, number>();
  for (const n of profile.nodes) {
    for (const c of n.children ?? []) parent.set(c, n.id);
  }
  const totals = new Map<string, number>();
  let totalMs = 0;
  profile.samples.forEach((id, i) => {
    const ms = (profile.timeDeltas[i] ?? 0) / 1000;
    if (phase !== undefined) {
      let inside = false;
      for (let cur: number | undefined = id; cur !== undefined && !inside; cur = parent.get(cur)) {
        inside = byId.get(cur)!.callFrame.functionName === phase;
      }
      if (!inside) return;
    }
    totalMs += ms;
    const name = packageOf(byId.get(id)!.callFrame);
    totals.set(name, (totals.get(name) ?? 0) + ms);
  });
  return { totalMs, packages: [...totals.entries()].sort((a, b) => b[1] - a[1]) };
}

if (require.main === module && process.argv.includes('--by-package')) {
  const profile = JSON.parse(fs.readFileSync(process.argv[2], 'utf8'));
  const phases = process.argv.flatMap((arg, i) => (arg === '--phase' ? [process.argv[i + 1]] : []));
  for (const phase of phases.length > 0 ? phases : [undefined]) {
    const { totalMs, packages } = byPackage(profile, phase);
    console.log(`${phase ? `under ${phase}()` : 'all samples'}: ${totalMs.toFixed(0)} ms`);
    for (const [name, ms] of packages.filter(([, t]) => t >= totalMs / 200)) {
      console.log(`  ${(100 * ms / totalMs).toFixed(1).padStart(5)}% ${ms.toFixed(0).padStart(7)} ms  ${name}`);
    }
  }
} else if (require.main === module) {
  const file = process.argv[2];
  const topIndex = process.argv.indexOf('--top');
  const top = topIndex > 0 ? Number(process.argv[topIndex + 1]) : 25;
  const underIndex = process.argv.indexOf('--under');
  const under = underIndex > 0 ? process.argv[underIndex + 1] : undefined;
  const { totalMs, frames } = summarize(JSON.parse(fs.readFileSync(file, 'utf8')), under);
  const pct = (ms: number) => `${(100 * ms / totalMs).toFixed(1).padStart(5)}%`;
  console.log(`${file}: ${totalMs.toFixed(0)} ms sampled${under ? ` under '${under}'` : ''}\n\nby self time:`);
  for (const f of [...frames].sort((a, b) => b.selfMs - a.selfMs).slice(0, top)) {
    console.log(`  ${pct(f.selfMs)} ${f.selfMs.toFixed(0).padStart(7)} ms  ${f.frame}`);
  }
  console.log('\nby inclusive time:');
  for (const f of [...frames].sort((a, b) => b.totalMs - a.totalMs).slice(0, top)) {
    console.log(`  ${pct(f.totalMs)} ${f.totalMs.toFixed(0).padStart(7)} ms  ${f.frame}`);
  }
}
