/**
 * Smooth weighted round-robin (the nginx algorithm): deterministic and exact
 * over a cycle. With weights {a: 95, b: 5}, every 100 consecutive picks hold
 * exactly 95 a and 5 b, and the b picks are spread out instead of bunched.
 *
 * Each pick adds every entry's weight to its running score, takes the entry
 * with the highest score, and subtracts the total weight from the winner's
 * score. Scores always sum to 0, so the sequence repeats every `total` picks.
 */
export class SmoothWeighted<T> {
  private readonly items: T[];
  private readonly weights: number[];
  private readonly scores: number[];
  private readonly total: number;

  /** Entries with a weight of 0 (or less) never win; they are dropped here. */
  constructor(entries: readonly (readonly [T, number])[]) {
    const kept = entries.filter(([, w]) => w > 0);
    this.items = kept.map(([item]) => item);
    this.weights = kept.map(([, w]) => w);
    this.scores = kept.map(() => 0);
    this.total = this.weights.reduce((sum, w) => sum + w, 0);
  }

  /** The same picker (weights and place in the cycle) over other items. */
  map<U>(fn: (item: T) => U): SmoothWeighted<U> {
    const copy = new SmoothWeighted<U>(this.items.map((item, i) => [fn(item), this.weights[i]!] as const));
    copy.scores.splice(0, copy.scores.length, ...this.scores);
    return copy;
  }

  get size(): number {
    return this.items.length;
  }

  /** The next item, or undefined when no entry has a weight. */
  next(): T | undefined {
    const n = this.items.length;
    if (n <= 1) return this.items[0];
    const { scores, weights } = this;
    let best = 0;
    for (let i = 0; i < n; i++) {
      scores[i]! += weights[i]!;
      if (scores[i]! > scores[best]!) best = i;
    }
    scores[best]! -= this.total;
    return this.items[best];
  }
}
