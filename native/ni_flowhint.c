/*
 * ni_flowhint: warms the flow table's cache lines for a batch before the engine walks it.
 *
 * With ~50 k flows in progress, the flow table (a 2 MB slot index and a 128-byte block per flow)
 * does not fit the L2 cache, and the packets of a capture hop from flow to flow: each packet
 * waited on two or three cache misses in a row (hash -> slot -> block) that JavaScript cannot
 * overlap, ~0.5 s of CPU over the 2.3 M-packet benchmark capture. Here, in a tight C loop over the
 * batch, the misses of many packets are in flight at once (prefetches): first every packet's slot,
 * then every packet's block.
 *
 * A hint only: it reads the batch and the slot index, writes nothing of the table's, and the
 * engine finds each flow itself as before. A packet this parser does not follow (tunnels, IPv6
 * extension headers, later fragments, damage) is simply not warmed. The key and hash must stay
 * those of src/flows/key.ts (flowKey, hashKey), or the prefetches miss (and cost a little, nothing
 * more): src/flows/warm.test.ts compares them on each kind of packet.
 */
#include <stdint.h>
#include <string.h>

#define NI_HEADER 16
/* Packets whose slots are fetched before their blocks are: long enough for the slots to arrive. */
#define CHUNK 128
#define KEY_WORDS 10

static inline uint32_t be16(const uint8_t *p) { return (uint32_t)p[0] << 8 | p[1]; }
static inline uint32_t be32(const uint8_t *p) {
  return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}
static inline uint32_t rd32le(const uint8_t *p) {
  uint32_t v;
  memcpy(&v, p, 4);
  return v;
}

/* key.ts mix(): one murmur3 round. */
static inline uint32_t mix(uint32_t h, uint32_t word) {
  uint32_t k = word * 0xcc9e2d51u;
  k = (k << 15) | (k >> 17);
  h ^= k * 0x1b873593u;
  h = (h << 13) | (h >> 19);
  return h * 5u + 0xe6546b64u;
}

/* key.ts hashKey(). */
static uint32_t hash_key(const uint32_t *key) {
  uint32_t h = mix(mix(mix(mix(0x9747b28cu, key[0]), key[4]), key[8]), key[9]);
  if (key[9] >> 20 == 6) {
    h = mix(mix(mix(h, key[1]), key[2]), key[3]);
    h = mix(mix(mix(h, key[5]), key[6]), key[7]);
  }
  h ^= h >> 16;
  h *= 0x85ebca6bu;
  h ^= h >> 13;
  h *= 0xc2b2ae35u;
  h ^= h >> 16;
  return h;
}

/* Ports of a TCP or UDP header at l4 (0 for ICMP and the like); -1 when the engine would see something else. */
static int ports(uint32_t proto, const uint8_t *l4, int64_t room, uint32_t *sp, uint32_t *dp) {
  *sp = *dp = 0;
  if (proto == 6 || proto == 17) {
    if (room < (proto == 6 ? 20 : 8)) return -1;
    *sp = be16(l4);
    *dp = be16(l4 + 2);
    return 0;
  }
  /* Tunnels (IP in IP, IPv6 in IP, GRE): the engine keys the inner packet. */
  return proto == 4 || proto == 41 || proto == 47 ? -1 : 0;
}

/* The flow key of an IP packet at `ip` (key.ts layout); 0 when made. */
static int ip_key(const uint8_t *ip, int64_t room, uint32_t vlan, uint32_t *key) {
  if (room < 1) return -1;
  uint32_t sp, dp;
  int src_is_a;
  if (ip[0] >> 4 == 4) {
    uint32_t ihl = (ip[0] & 0x0f) * 4u;
    if (room < 20 || ihl < 20 || room < ihl) return -1;
    uint32_t total = be16(ip + 2);
    if (total < ihl || (be16(ip + 6) & 0x1fff) != 0) return -1; /* damage, or a later fragment */
    int64_t end = total < room ? total : room;
    uint32_t proto = ip[9];
    if (ports(proto, ip + ihl, end - ihl, &sp, &dp) != 0) return -1;
    uint32_t s = be32(ip + 12), d = be32(ip + 16);
    src_is_a = s < d || (s == d && sp <= dp);
    key[0] = src_is_a ? s : d;
    key[4] = src_is_a ? d : s;
    key[1] = key[2] = key[3] = key[5] = key[6] = key[7] = 0;
    key[9] = 4u << 20 | proto << 12 | vlan;
  } else if (ip[0] >> 4 == 6) {
    if (room < 40) return -1;
    uint32_t proto = ip[6];
    /* Extension headers (hop-by-hop, routing, fragment, ...) are left to the engine. */
    if (proto != 6 && proto != 17 && proto != 58) return -1;
    uint32_t length = be16(ip + 4);
    int64_t end = length == 0 || 40 + (int64_t)length > room ? room : 40 + (int64_t)length;
    if (ports(proto, ip + 40, end - 40, &sp, &dp) != 0) return -1;
    int cmp = 0;
    for (int i = 0; i < 16 && cmp == 0; i += 4) {
      uint32_t a = be32(ip + 8 + i), b = be32(ip + 24 + i);
      if (a != b) cmp = a < b ? -1 : 1;
    }
    src_is_a = cmp < 0 || (cmp == 0 && sp <= dp);
    const uint8_t *a = src_is_a ? ip + 8 : ip + 24, *b = src_is_a ? ip + 24 : ip + 8;
    for (int i = 0; i < 4; i++) {
      key[i] = be32(a + 4 * i);
      key[4 + i] = be32(b + 4 * i);
    }
    key[9] = 6u << 20 | proto << 12 | vlan;
  } else {
    return -1;
  }
  key[8] = src_is_a ? sp << 16 | dp : dp << 16 | sp;
  return 0;
}

/* The flow key of a frame; 0 when made. Ethernet (with up to 4 VLAN tags, as ethernet.ts) and raw IP. */
static int frame_key(const uint8_t *f, int64_t len, uint32_t linktype, uint32_t *key) {
  switch (linktype) {
    case 1: {
      if (len < 14) return -1;
      uint32_t type = be16(f + 12), vlan = 0;
      int64_t off = 14;
      for (int tags = 0; type == 0x8100 || type == 0x88a8 || type == 0x9100; tags++) {
        if (tags == 4 || len - off < 4) return -1;
        if (tags == 0) vlan = be16(f + off) & 0x0fff;
        type = be16(f + off + 2);
        off += 4;
      }
      if (type != 0x0800 && type != 0x86dd) return -1;
      /* A version that is not the EtherType's is no flow for the engine (decodeIpv4/6: BadHeader). */
      if (len - off < 1 || f[off] >> 4 != (type == 0x0800 ? 4u : 6u)) return -1;
      return ip_key(f + off, len - off, vlan, key);
    }
    case 12: case 14: case 101:
      return ip_key(f, len, 0, key);
    case 228: /* IPv4 only, IPv6 only (linktype.ts: decodeIpv4 / decodeIpv6 straight away) */
    case 229:
      if (len < 1 || f[0] >> 4 != (linktype == 228 ? 4 : 6)) return -1;
      return ip_key(f, len, 0, key);
    default:
      return -1;
  }
}

/*
 * Prefetches, for `count` packets of a batch from the record at byte `start` (records of the
 * shim's layout, padded to pad + 1 bytes, within `used` bytes), the flow table slot its key hashes to (`slots`, `mask` + 1 entries of
 * flow index + 1) and the 128-byte block (`blocks`) of the flow that slot holds. `hashes` (NULL:
 * none; for tests): packet n's hash at [n], 0 when none made (`count` entries). Returns how many
 * packets' slots held a flow (for tests: a packet of a flow in the table whose slot is empty means
 * this key or hash is no longer key.ts's).
 */
uint32_t ni_flow_prefetch(const uint8_t *batch, uint32_t start, uint32_t used, uint32_t count, uint32_t pad, uint32_t linktype,
                      const int32_t *slots, uint32_t mask, const uint8_t *blocks, uint32_t block_bytes,
                      uint32_t *hashes) {
  uint32_t chunk[CHUNK];
  uint32_t key[KEY_WORDS];
  uint64_t off = start;
  uint32_t n = 0, found = 0;
  while (n < count) {
    uint32_t have = 0;
    for (; n < count && have < CHUNK; n++) {
      if (hashes) hashes[n] = 0;
      if (off + NI_HEADER > used) continue;
      uint32_t caplen = rd32le(batch + off + 8);
      if (off + NI_HEADER + caplen > used) {
        off = used;
        continue;
      }
      if (frame_key(batch + off + NI_HEADER, caplen, linktype, key) == 0) {
        uint32_t h = hash_key(key);
        if (hashes) hashes[n] = h;
        chunk[have++] = h;
        __builtin_prefetch(slots + (h & mask), 0, 3);
      }
      off += (NI_HEADER + caplen + pad) & ~pad;
    }
    for (uint32_t k = 0; k < have; k++) {
      int32_t entry = slots[chunk[k] & mask];
      if (entry <= 0) continue;
      found++;
      const uint8_t *block = blocks + (uint64_t)(uint32_t)(entry - 1) * block_bytes;
      __builtin_prefetch(block, 1, 3);
      __builtin_prefetch(block + 64, 1, 3);
    }
  }
  return found;
}
