/*
 * ni_capture: the batch shim between libpcap and NetInsight's JavaScript.
 *
 * One FFI call moves up to `max_packets` packets into one buffer that JavaScript owns, so the
 * decoder loop reads headers and bytes with a DataView and allocates nothing per packet.
 * The shim does not link libpcap: it finds pcap_next_ex / pcap_dispatch with dlsym in the
 * libpcap that the process has already opened, so one .so per architecture needs no headers.
 * Classic .pcap files are read by ni_pcapfile.c (faster); pcapng and live capture go through libpcap.
 *
 * Record layout in the buffer (little-endian host order, 8-byte aligned records):
 *   u32 ts_sec, u32 ts_usec, u32 caplen, u32 origlen, caplen bytes, padding to 8.
 */
#include <dlfcn.h>
#include <stdint.h>
#include <string.h>
#include <sys/time.h>

struct ni_pkthdr { struct timeval ts; uint32_t caplen; uint32_t len; };
typedef void (*ni_handler)(unsigned char *, const struct ni_pkthdr *, const unsigned char *);
typedef int (*next_ex_fn)(void *, struct ni_pkthdr **, const unsigned char **);
typedef int (*dispatch_fn)(void *, int, ni_handler, unsigned char *);
typedef int (*snapshot_fn)(void *);

static next_ex_fn pcap_next_ex_p;
static dispatch_fn pcap_dispatch_p;
static snapshot_fn pcap_snapshot_p;

#define NI_HEADER 16

int ni_pcapfile_init(void *libpcap); /* ni_pcapfile.c */

/* Returns 0 when the libpcap entry points were found. */
int ni_init(void) {
  static const char *names[] = { "libpcap.so.0.8", "libpcap.so.1", "libpcap.so", 0 };
  int file_ok = -1;
  for (int i = 0; names[i] && !pcap_next_ex_p; i++) {
    void *h = dlopen(names[i], RTLD_NOW | RTLD_GLOBAL);
    if (!h) continue;
    pcap_next_ex_p = (next_ex_fn)dlsym(h, "pcap_next_ex");
    pcap_dispatch_p = (dispatch_fn)dlsym(h, "pcap_dispatch");
    pcap_snapshot_p = (snapshot_fn)dlsym(h, "pcap_snapshot");
    file_ok = ni_pcapfile_init(h);
  }
  return pcap_next_ex_p && pcap_dispatch_p && pcap_snapshot_p && file_ok == 0 ? 0 : -1;
}

static inline uint32_t put(uint8_t *buf, uint32_t off, const struct ni_pkthdr *h, const unsigned char *data) {
  uint32_t *w = (uint32_t *)(buf + off);
  w[0] = (uint32_t)h->ts.tv_sec;
  w[1] = (uint32_t)h->ts.tv_usec;
  w[2] = h->caplen;
  w[3] = h->len;
  memcpy(buf + off + NI_HEADER, data, h->caplen);
  return off + ((NI_HEADER + h->caplen + 7u) & ~7u);
}

/*
 * Offline files. Fills `buf` with up to max_packets records, starting a packet only while a
 * full snaplen still fits (libpcap never hands out more than the snapshot length), so no packet
 * is ever held over between calls and several files can be read at once.
 * out[0] = packets stored, out[1] = bytes used, out[2] = status:
 *   0 more may follow, 1 end of file, -1 read error (pcap_geterr tells why),
 *   -2 a packet larger than the buffer (a buffer smaller than the snaplen).
 */
int ni_read_offline(void *p, uint8_t *buf, uint32_t buflen, uint32_t max_packets, int32_t *out) {
  uint32_t off = 0, n = 0;
  int status = 0, snap = pcap_snapshot_p(p);
  uint32_t room = NI_HEADER + (uint32_t)(snap > 0 ? snap : 262144) + 8u;
  while (n < max_packets && off + room <= buflen) {
    struct ni_pkthdr *h; const unsigned char *d;
    int r = pcap_next_ex_p(p, &h, &d);
    if (r == 1) {
      if (off + NI_HEADER + h->caplen > buflen) { status = -2; break; }
      off = put(buf, off, h, d);
      n++;
    } else if (r == -2) { status = 1; break; }
    else if (r == 0) { break; }
    else { status = -1; break; }
  }
  if (n == 0 && status == 0 && room > buflen) status = -2;
  out[0] = (int32_t)n; out[1] = (int32_t)off; out[2] = status;
  return (int32_t)n;
}

/*
 * Live capture on a non-blocking handle. Takes one packet at a time from libpcap's ring (no
 * system call while the ring holds packets) and stops before the buffer could overflow: it
 * never starts a packet unless a full snaplen still fits, so nothing is ever dropped here.
 * out[0] = packets, out[1] = bytes used, out[2] = status:
 *   0 the ring is drained (poll again later), 1 the batch is full (more may be waiting: poll
 *   again at once), -1 error (pcap_geterr tells why), -2 pcap_breakloop.
 * out[3] = packets the shim had to drop (always 0 with the room check; kept for the layout).
 */
struct live_ctx { uint8_t *buf; uint32_t off; uint32_t n; };

static void on_packet(unsigned char *user, const struct ni_pkthdr *h, const unsigned char *d) {
  struct live_ctx *c = (struct live_ctx *)user;
  c->off = put(c->buf, c->off, h, d);
  c->n++;
}

int ni_read_live(void *p, uint8_t *buf, uint32_t buflen, uint32_t max_packets, int32_t *out) {
  struct live_ctx c = { buf, 0, 0 };
  int snap = pcap_snapshot_p(p);
  uint32_t room = NI_HEADER + (uint32_t)(snap > 0 ? snap : 262144) + 8u;
  int status = 1;
  while (c.n < max_packets && c.off + room <= buflen) {
    int r = pcap_dispatch_p(p, 1, on_packet, (unsigned char *)&c);
    if (r < 0) { status = r == -2 ? -2 : -1; break; }
    if (r == 0) { status = 0; break; }
  }
  out[0] = (int32_t)c.n; out[1] = (int32_t)c.off; out[2] = status; out[3] = 0;
  return status < 0 ? status : (int32_t)c.n;
}
