/*
 * Summarizes a V8 CPU profile (`node --cpu-prof`): the functions with the most self time, and the
 * most inclusive time, with their file. Usage:
 *   ts-node --project tsconfig.dev.json bench/profile.ts <file.cpuprofile> [--top 25] [--under <function>]
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

if (require.main === module) {
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
