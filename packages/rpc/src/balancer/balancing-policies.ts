import type { BalancingPolicy } from '@tend/core';

/** What a policy sees of an instance. */
export interface Candidate {
  readonly url: string;
  readonly weight: number;
  readonly inFlight: number;
}

/** Picks one of `candidates` (never empty) for a call; `key` is the person the call is for, if known. */
export type Picker = (candidates: readonly Candidate[], key: string | undefined) => Candidate;

/**
 * The policies of `UPSTREAM_POLICY`. Each keeps its own small state (a counter, current
 * weights, a hash ring) and copes with the candidate list changing between calls as instances
 * fail and recover.
 */
export function createPicker(policy: BalancingPolicy): Picker {
  switch (policy) {
    case 'round-robin':
      return roundRobin();
    case 'weighted':
      return smoothWeighted();
    case 'least-connections':
      return leastConnections();
    case 'consistent-hash':
      return consistentHash();
  }
}

function roundRobin(): Picker {
  let next = 0;
  return (candidates) => candidates[next++ % candidates.length]!;
}

/** nginx's smooth weighted round-robin: weights 5,1,1 give a a b a c a a, not a a a a a b c. */
function smoothWeighted(): Picker {
  const current = new Map<string, number>();
  return (candidates) => {
    let total = 0;
    let best: Candidate | undefined;
    for (const candidate of candidates) {
      const value = (current.get(candidate.url) ?? 0) + candidate.weight;
      current.set(candidate.url, value);
      total += candidate.weight;
      if (!best || value > current.get(best.url)!) best = candidate;
    }
    current.set(best!.url, current.get(best!.url)! - total);
    return best!;
  };
}

/** Fewest calls in flight relative to weight; ties go round-robin so equal instances share. */
function leastConnections(): Picker {
  let turn = 0;
  return (candidates) => {
    turn++;
    let best = candidates[turn % candidates.length]!;
    for (const candidate of candidates) {
      if (candidate.inFlight / candidate.weight < best.inFlight / best.weight) best = candidate;
    }
    return best;
  };
}

const virtualNodesPerWeight = 100;

/**
 * A hash ring on the person's id: the same person goes to the same instance (warm caches), and
 * when an instance leaves only its share of people move. Calls without a person go round-robin.
 */
function consistentHash(): Picker {
  const fallback = roundRobin();
  let ring: { point: number; url: string }[] = [];
  let ringOf = '';
  return (candidates, key) => {
    if (key === undefined || key === '') return fallback(candidates, key);
    const signature = candidates.map((c) => `${c.url}*${c.weight}`).join(',');
    if (signature !== ringOf) {
      ring = candidates
        .flatMap((c) =>
          Array.from({ length: c.weight * virtualNodesPerWeight }, (_, i) => ({
            point: fnv1a(`${c.url}#${i}`),
            url: c.url,
          })),
        )
        .sort((a, b) => a.point - b.point);
      ringOf = signature;
    }
    const point = fnv1a(key);
    let low = 0;
    let high = ring.length;
    while (low < high) {
      const mid = (low + high) >>> 1;
      if (ring[mid]!.point < point) low = mid + 1;
      else high = mid;
    }
    const url = ring[low % ring.length]!.url;
    return candidates.find((c) => c.url === url)!;
  };
}

/** 32-bit FNV-1a: fast, well spread, stable across processes. */
export function fnv1a(text: string): number {
  let hash = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    hash ^= text.charCodeAt(i);
    hash = Math.imul(hash, 0x01000193);
  }
  return hash >>> 0;
}
