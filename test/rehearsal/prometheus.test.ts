import { requirePrometheus } from './require-prometheus';
import { encodeWriteRequest, snappyBlock } from '../../src/rehearsal/prometheus/remote-write';
import { PrometheusServer, parseSampleValue } from '../../src/rehearsal/prometheus/server';

requirePrometheus();

test('a WriteRequest is encoded as protobuf: labels sorted by name, samples as double and varint', () => {
  const encoded = encodeWriteRequest([{ labels: { b: '2', __name__: 'x' }, samples: [[1000, 0.5]] }]);
  // timeseries (field 1, bytes): label __name__=x, label b=2, sample {value 0.5, timestamp 1000}
  const label = (n: string, v: string) => [0x0a, 2 + n.length + 2 + v.length, 0x0a, n.length, ...Buffer.from(n), 0x12, v.length, ...Buffer.from(v)];
  const sample = [0x12, 12, 0x09, ...Buffer.from([0, 0, 0, 0, 0, 0, 0xe0, 0x3f]), 0x10, 0xe8, 0x07];
  const series = [...label('__name__', 'x'), ...label('b', '2'), ...sample];
  expect([...encoded]).toEqual([0x0a, series.length, ...series]);
});

test('snappy block: the length as a varint, then literal chunks', () => {
  expect([...snappyBlock(Buffer.from('abc'))]).toEqual([3, 2 * 4, 0x61, 0x62, 0x63]);
  const long = snappyBlock(Buffer.alloc(300, 1));
  expect([...long.subarray(0, 5)]).toEqual([0xac, 0x02, 61 * 4, 299 % 256, 1]);
  expect(long.length).toBe(5 + 300);
});

test('sample values in Prometheus notation', () => {
  expect(parseSampleValue('+Inf')).toBe(Infinity);
  expect(parseSampleValue('-Inf')).toBe(-Infinity);
  expect(parseSampleValue('NaN')).toBeNaN();
  expect(parseSampleValue('0.25')).toBe(0.25);
});

describe('the Prometheus server', () => {
  let server: PrometheusServer;
  beforeAll(async () => {
    server = await PrometheusServer.start();
  }, 60_000);
  afterAll(async () => {
    await server?.stop();
  });

  test('takes remote-written series and evaluates instant queries at a given time', async () => {
    const base = 1_700_000_000_000;
    const samples = Array.from({ length: 25 }, (_, i) => [base + i * 5000, i * 10] as const);
    await server.write([
      { labels: { __name__: 'requests_total', code: '200' }, samples },
      { labels: { __name__: 'requests_total', code: '500' }, samples: samples.map(([t, v]) => [t, v / 10] as const) },
    ]);
    const at = base / 1000 + 120;
    const rate = await server.query('sum(rate(requests_total{code="200"}[1m]))', at);
    expect(rate.samples.map((s) => Math.round(s.value * 1000) / 1000)).toEqual([2]);
    const ratio = await server.query('sum(rate(requests_total{code!~"5.."}[1m])) / sum(rate(requests_total[1m]))', at);
    expect(Math.round(ratio.samples[0].value * 1000) / 1000).toBe(0.909);
    // No sample in the window: an empty vector, and 0/0 is NaN.
    expect((await server.query('sum(rate(requests_total[1m]))', at + 3600)).samples).toEqual([]);
    expect((await server.query('scalar(vector(0)) / 0', at)).samples[0].value).toBeNaN();
    expect((await server.query('sum(rate(requests_total[1m]', at)).error).toMatch(/parse error/);
  });
});
