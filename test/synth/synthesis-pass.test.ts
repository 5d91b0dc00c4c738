import { ApiObject, App, Chart, Lazy, Testing } from 'cdk8s';
import { FastSynth } from '../../src';
import { endSynthesisPass, perPass, trackSynthesisPasses } from '../../src/synth/synthesis-pass';

/**
 * An app of `n` ConfigMaps, each of which, when rendered, asks `perPass()` for one value (the
 * number of builds so far), as a consumer of its own.
 */
function appOf(n: number): { app: App; chart: Chart; builds: () => number; objects: ApiObject[] } {
  const app = Testing.app();
  const chart = new Chart(app, 'test');
  let builds = 0;
  trackSynthesisPasses(chart);
  const objects = [...Array(n).keys()].map((i) => {
    const consumer = {};
    return new ApiObject(chart, `o${i}`, {
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: { name: `o${i}` },
      data: { build: Lazy.any({ produce: () => String(perPass(chart, consumer, 'key', () => ++builds)) }) },
    });
  });
  return { app, chart, builds: () => builds, objects };
}

describe('perPass', () => {
  test('in a synthesis, the value is built once and shared by every consumer', () => {
    const { chart, builds } = appOf(5);
    const manifests = Testing.synth(chart);
    expect(builds()).toBe(1);
    expect(manifests.map((m) => m.data.build)).toEqual(['1', '1', '1', '1', '1']);
  });

  test('each synthesis builds it again (constructs may have been added in between)', () => {
    const { chart, builds } = appOf(3);
    Testing.synth(chart);
    Testing.synth(chart);
    expect(builds()).toBe(2);
    expect(Testing.synth(chart).map((m) => m.data.build)).toEqual(['3', '3', '3']);
  });

  test('outside a synthesis, and for a consumer asking twice in one, it is built for that request alone', () => {
    const { chart, builds, objects } = appOf(2);
    expect(objects[0].toJson().data.build).toBe('1');
    expect(objects[0].toJson().data.build).toBe('2');
    Testing.synth(chart);
    expect(builds()).toBe(3);
    // Rendered again by hand after the synthesis, without one in between: built afresh.
    expect(objects[1].toJson().data.build).toBe('4');
  });

  test('a FastSynth ends its pass when it returns; a pass ends with the synchronous run that started it', async () => {
    const first = appOf(2);
    FastSynth.synthYaml(first.app);
    const afterFastSynth = first.builds();
    const consumer = {};
    expect(perPass(first.chart, consumer, 'key', () => 'fresh')).toBe('fresh');
    expect(first.builds()).toBe(afterFastSynth);

    const second = appOf(1);
    Testing.synth(second.chart);
    expect(perPass(second.chart, {}, 'key', () => 'new')).toBe(1);
    await Promise.resolve();
    expect(perPass(second.chart, {}, 'key', () => 'new')).toBe('new');

    Testing.synth(second.chart);
    endSynthesisPass(second.chart);
    expect(perPass(second.chart, {}, 'key', () => 'ended')).toBe('ended');
  });
});
