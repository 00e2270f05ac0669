/**
 * A bounded cache for a pure function of one key, forgotten all at once when full: no recency
 * bookkeeping on the hot path, and what is still asked for fills it again. For names made from
 * numbers (addresses) or from names (domains), so each string is made once, not per packet.
 */
export function memoize<K, V>(max: number, compute: (key: K) => V): (key: K) => V {
  const cache = new Map<K, V>();
  return (key: K): V => {
    let value = cache.get(key);
    if (value === undefined) {
      if (cache.size >= max) cache.clear();
      value = compute(key);
      cache.set(key, value);
    }
    return value;
  };
}
