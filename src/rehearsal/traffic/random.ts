/* eslint-disable no-bitwise */
// A random number generator is made of bit operations on 32-bit words.
/**
 * Seeded random draws: the same seed gives the same release, run after run. sfc32 (Chris
 * Doty-Humphrey's small fast counter generator, as in PractRand) seeded through splitmix32.
 */
export class Random {
  private a: number;
  private b: number;
  private c: number;
  private d: number;
  private spareNormal: number | undefined;

  constructor(seed: number) {
    let s = Math.floor(seed) >>> 0;
    const next = () => {
      s = (s + 0x9e3779b9) >>> 0;
      let z = s;
      z = Math.imul(z ^ (z >>> 16), 0x85ebca6b) >>> 0;
      z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35) >>> 0;
      return (z ^ (z >>> 16)) >>> 0;
    };
    this.a = next();
    this.b = next();
    this.c = next();
    this.d = next();
    for (let i = 0; i < 12; i++) this.uniform();
  }

  /** A number in [0, 1). */
  public uniform(): number {
    const t = (((this.a + this.b) >>> 0) + this.d) >>> 0;
    this.d = (this.d + 1) >>> 0;
    this.a = this.b ^ (this.b >>> 9);
    this.b = (this.c + (this.c << 3)) >>> 0;
    this.c = ((this.c << 21) | (this.c >>> 11)) >>> 0;
    this.c = (this.c + t) >>> 0;
    return t / 4294967296;
  }

  /** A standard normal draw (Marsaglia's polar method). */
  public normal(): number {
    if (this.spareNormal !== undefined) {
      const spare = this.spareNormal;
      this.spareNormal = undefined;
      return spare;
    }
    let u: number;
    let v: number;
    let s: number;
    do {
      u = this.uniform() * 2 - 1;
      v = this.uniform() * 2 - 1;
      s = u * u + v * v;
    } while (s >= 1 || s === 0);
    const factor = Math.sqrt((-2 * Math.log(s)) / s);
    this.spareNormal = v * factor;
    return u * factor;
  }

  /** A Poisson draw with mean `mean`: by inversion below 30, else the normal approximation (rounded, at least 0). */
  public poisson(mean: number): number {
    if (mean <= 0) return 0;
    if (mean < 30) {
      const limit = Math.exp(-mean);
      let k = 0;
      let p = this.uniform();
      while (p > limit) {
        k++;
        p *= this.uniform();
      }
      return k;
    }
    return Math.max(0, Math.round(mean + Math.sqrt(mean) * this.normal()));
  }

  /** A binomial draw: `n` trials of probability `p`; exact below 50 trials, else the normal approximation clamped to [0, n]. */
  public binomial(n: number, p: number): number {
    if (n <= 0 || p <= 0) return 0;
    if (p >= 1) return n;
    if (n < 50) {
      let k = 0;
      for (let i = 0; i < n; i++) if (this.uniform() < p) k++;
      return k;
    }
    const mean = n * p;
    const variance = mean * (1 - p);
    if (mean < 10) return Math.min(n, this.poisson(mean));
    if (n - mean < 10) return n - Math.min(n, this.poisson(n - mean));
    return Math.min(n, Math.max(0, Math.round(mean + Math.sqrt(variance) * this.normal())));
  }

  /**
   * Splits `n` draws among categories of the given probabilities (summing to 1), one binomial after
   * another on what is left.
   */
  public multinomial(n: number, probabilities: number[]): number[] {
    const counts: number[] = [];
    let left = n;
    let mass = 1;
    for (let i = 0; i < probabilities.length; i++) {
      if (i === probabilities.length - 1) {
        counts.push(left);
        break;
      }
      const p = mass <= 0 ? 0 : Math.min(1, Math.max(0, probabilities[i] / mass));
      const k = this.binomial(left, p);
      counts.push(k);
      left -= k;
      mass -= probabilities[i];
    }
    return counts;
  }
}

/** The standard normal cumulative distribution (Abramowitz and Stegun 7.1.26 for erf, error below 1.5e-7). */
export function normalCdf(x: number): number {
  const z = Math.abs(x) / Math.SQRT2;
  const t = 1 / (1 + 0.3275911 * z);
  const erf = 1 - (((((1.061405429 * t - 1.453152027) * t) + 1.421413741) * t - 0.284496736) * t + 0.254829592) * t * Math.exp(-z * z);
  return x >= 0 ? (1 + erf) / 2 : (1 - erf) / 2;
}
