/**
 * Prometheus remote-write requests, encoded by hand: a `prometheus.WriteRequest` protobuf
 * (prometheus/prompb/remote.proto and types.proto: WriteRequest.timeseries = 1; TimeSeries.labels = 1,
 * samples = 2; Label.name = 1, value = 2; Sample.value = 1 (double), timestamp = 2 (int64 ms))
 * compressed in snappy's block format, which the receiver requires (storage/remote/codec.go,
 * DecodeWriteRequest: snappy.Decode). The snappy block is written with literals only, which every
 * decoder accepts (a valid, uncompressed encoding).
 */

/**
 * One series to write: its labels (`__name__` included) and its samples as [timestamp ms, value].
 * A NaN value is written as the staleness marker (the series ended), never as a plain NaN.
 */
export interface WriteSeries {
  readonly labels: { readonly [name: string]: string };
  readonly samples: ReadonlyArray<readonly [number, number]>;
}

class Writer {
  public buffer: Buffer;
  public position = 0;

  constructor(size: number) {
    this.buffer = Buffer.allocUnsafe(size);
  }

  public ensure(bytes: number): void {
    if (this.position + bytes <= this.buffer.length) return;
    const grown = Buffer.allocUnsafe(Math.max(this.buffer.length * 2, this.position + bytes));
    this.buffer.copy(grown, 0, 0, this.position);
    this.buffer = grown;
  }

  public varint(value: number): void {
    this.ensure(10);
    let v = value;
    while (v > 127) {
      this.buffer[this.position++] = (v % 128) + 128;
      v = Math.floor(v / 128);
    }
    this.buffer[this.position++] = v;
  }

  public bytes(data: Buffer): void {
    this.ensure(data.length);
    data.copy(this.buffer, this.position);
    this.position += data.length;
  }

  public double(value: number): void {
    this.ensure(8);
    if (Number.isNaN(value)) {
      // Prometheus's staleness marker, model/value.StaleNaN: 0x7ff0000000000002.
      this.buffer.writeUInt32LE(2, this.position);
      this.buffer.writeUInt32LE(0x7ff00000, this.position + 4);
    } else {
      this.buffer.writeDoubleLE(value, this.position);
    }
    this.position += 8;
  }

  public result(): Buffer {
    return this.buffer.subarray(0, this.position);
  }
}

/** Length of a value as a protobuf varint. */
function varintLength(value: number): number {
  let length = 1;
  let v = value;
  while (v > 127) {
    v = Math.floor(v / 128);
    length++;
  }
  return length;
}

const labelCache = new WeakMap<object, Buffer>();

/** The encoded `labels` fields of a series (sorted by name, as the receiver expects); cached per label object. */
function encodedLabels(labels: { readonly [name: string]: string }): Buffer {
  const cached = labelCache.get(labels);
  if (cached) return cached;
  const names = Object.keys(labels).sort();
  const out = new Writer(256);
  for (const name of names) {
    const n = Buffer.from(name, 'utf-8');
    const v = Buffer.from(labels[name], 'utf-8');
    const inner = 1 + varintLength(n.length) + n.length + 1 + varintLength(v.length) + v.length;
    out.varint(10);
    out.varint(inner);
    out.varint(10);
    out.varint(n.length);
    out.bytes(n);
    out.varint(18);
    out.varint(v.length);
    out.bytes(v);
  }
  const encoded = Buffer.from(out.result());
  labelCache.set(labels, encoded);
  return encoded;
}

/** A `prometheus.WriteRequest` holding the series, protobuf-encoded. */
export function encodeWriteRequest(series: ReadonlyArray<WriteSeries>): Buffer {
  const out = new Writer(65536);
  for (const s of series) {
    const labels = encodedLabels(s.labels);
    let size = labels.length;
    for (const [timestamp] of s.samples) {
      const sample = 1 + 8 + 1 + varintLength(timestamp);
      size += 1 + varintLength(sample) + sample;
    }
    out.varint(10);
    out.varint(size);
    out.bytes(labels);
    for (const [timestamp, value] of s.samples) {
      out.varint(18);
      out.varint(1 + 8 + 1 + varintLength(timestamp));
      out.varint(9);
      out.double(value);
      out.varint(16);
      out.varint(timestamp);
    }
  }
  return Buffer.from(out.result());
}

/** `data` in snappy's block format: the uncompressed length, then literal chunks of at most 64 KiB. */
export function snappyBlock(data: Buffer): Buffer {
  const header = new Writer(16);
  header.varint(data.length);
  const parts: Buffer[] = [Buffer.from(header.result())];
  for (let offset = 0; offset < data.length; offset += 65536) {
    const chunk = data.subarray(offset, Math.min(offset + 65536, data.length));
    const n = chunk.length - 1;
    // Literal tag (low bits 00): length - 1 in the upper six bits below 60, else in the 1 or 2 bytes after tag 60 or 61.
    parts.push(Buffer.from(n < 60 ? [n * 4] : n < 256 ? [60 * 4, n] : [61 * 4, n % 256, Math.floor(n / 256)]));
    parts.push(chunk);
  }
  return Buffer.concat(parts);
}
