// SHA-256 after FIPS 180-4 §6.2; small enough to keep OpenSSL out of the static binary.
// On x86-64 CPUs with the SHA extensions the blocks go through SHA256RNDS2/MSG1/MSG2
// (about 10x the portable code: layer diff IDs are hashed while unpacking).
#include "cimages.h"
#include <string.h>
#if defined(__x86_64__)
#include <cpuid.h>
#include <immintrin.h>
#endif

static const uint32_t K[64] = {
    0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4, 0xab1c5ed5,
    0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3, 0x72be5d74, 0x80deb1fe, 0x9bdc06a7, 0xc19bf174,
    0xe49b69c1, 0xefbe4786, 0x0fc19dc6, 0x240ca1cc, 0x2de92c6f, 0x4a7484aa, 0x5cb0a9dc, 0x76f988da,
    0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7, 0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967,
    0x27b70a85, 0x2e1b2138, 0x4d2c6dfc, 0x53380d13, 0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85,
    0xa2bfe8a1, 0xa81a664b, 0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070,
    0x19a4c116, 0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a, 0x5b9cca4f, 0x682e6ff3,
    0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208, 0x90befffa, 0xa4506ceb, 0xbef9a3f7, 0xc67178f2,
};

#define ROR(x, n) (((x) >> (n)) | ((x) << (32 - (n))))

static void block(struct cimg_sha256 *c, const uint8_t *p) {
    uint32_t w[64];
    for (int i = 0; i < 16; i++)
        w[i] = (uint32_t)p[4 * i] << 24 | (uint32_t)p[4 * i + 1] << 16 | (uint32_t)p[4 * i + 2] << 8 | p[4 * i + 3];
    for (int i = 16; i < 64; i++) {
        uint32_t s0 = ROR(w[i - 15], 7) ^ ROR(w[i - 15], 18) ^ (w[i - 15] >> 3);
        uint32_t s1 = ROR(w[i - 2], 17) ^ ROR(w[i - 2], 19) ^ (w[i - 2] >> 10);
        w[i] = w[i - 16] + s0 + w[i - 7] + s1;
    }
    uint32_t a = c->state[0], b = c->state[1], cc = c->state[2], d = c->state[3];
    uint32_t e = c->state[4], f = c->state[5], g = c->state[6], h = c->state[7];
    for (int i = 0; i < 64; i++) {
        uint32_t t1 = h + (ROR(e, 6) ^ ROR(e, 11) ^ ROR(e, 25)) + ((e & f) ^ (~e & g)) + K[i] + w[i];
        uint32_t t2 = (ROR(a, 2) ^ ROR(a, 13) ^ ROR(a, 22)) + ((a & b) ^ (a & cc) ^ (b & cc));
        h = g; g = f; f = e; e = d + t1; d = cc; cc = b; b = a; a = t1 + t2;
    }
    c->state[0] += a; c->state[1] += b; c->state[2] += cc; c->state[3] += d;
    c->state[4] += e; c->state[5] += f; c->state[6] += g; c->state[7] += h;
}

#if defined(__x86_64__)
// state[] is A..H. The instructions want two registers: ABEF and CDGH (A in the top dword).
__attribute__((target("sha,sse4.1,ssse3")))
static void blocks_shani(struct cimg_sha256 *c, const uint8_t *p, size_t n) {
    const __m128i bswap = _mm_set_epi64x(0x0c0d0e0f08090a0bULL, 0x0405060700010203ULL);
    __m128i dcba = _mm_shuffle_epi32(_mm_loadu_si128((const __m128i *)&c->state[0]), 0xB1);  // B A D C
    __m128i hgfe = _mm_shuffle_epi32(_mm_loadu_si128((const __m128i *)&c->state[4]), 0x1B);  // H G F E
    __m128i abef = _mm_alignr_epi8(dcba, hgfe, 8);                                             // F E B A
    __m128i cdgh = _mm_blend_epi16(hgfe, dcba, 0xF0);                                          // H G D C
    for (; n > 0; n--, p += 64) {
        __m128i save0 = abef, save1 = cdgh, w[4];
        for (int i = 0; i < 4; i++) w[i] = _mm_shuffle_epi8(_mm_loadu_si128((const __m128i *)(p + 16 * i)), bswap);
        for (int g = 0; g < 16; g++) {
            if (g >= 4) {  // w[g&3] holds W(g-4); the next three hold W(g-3), W(g-2), W(g-1)
                __m128i x = _mm_add_epi32(_mm_sha256msg1_epu32(w[g & 3], w[(g + 1) & 3]),
                                          _mm_alignr_epi8(w[(g + 3) & 3], w[(g + 2) & 3], 4));
                w[g & 3] = _mm_sha256msg2_epu32(x, w[(g + 3) & 3]);
            }
            __m128i wk = _mm_add_epi32(w[g & 3], _mm_loadu_si128((const __m128i *)&K[4 * g]));
            cdgh = _mm_sha256rnds2_epu32(cdgh, abef, wk);  // rounds 4g, 4g+1: the new ABEF
            abef = _mm_sha256rnds2_epu32(abef, cdgh, _mm_shuffle_epi32(wk, 0x0E));
        }
        abef = _mm_add_epi32(abef, save0);
        cdgh = _mm_add_epi32(cdgh, save1);
    }
    __m128i feba = _mm_shuffle_epi32(abef, 0x1B);  // A B E F (A lowest)
    __m128i dchg = _mm_shuffle_epi32(cdgh, 0xB1);  // G H C D
    _mm_storeu_si128((__m128i *)&c->state[0], _mm_blend_epi16(feba, dchg, 0xF0));  // A B C D
    _mm_storeu_si128((__m128i *)&c->state[4], _mm_alignr_epi8(dchg, feba, 8));     // E F G H
}

static int cpu_has_shani(void) {
    unsigned a, b, cc, d;
    int sse = __get_cpuid(1, &a, &b, &cc, &d) && (cc & (1u << 9)) && (cc & (1u << 19));  // SSSE3, SSE4.1
    int sha = __get_cpuid_count(7, 0, &a, &b, &cc, &d) && (b & (1u << 29));
    return sse && sha;
}

static int use_shani = -1;  // -1: not decided yet

static int have_shani(void) {
    if (use_shani < 0) use_shani = cpu_has_shani();
    return use_shani;
}
#endif

int cimg_sha256_accelerate(int on) {
#if defined(__x86_64__)
    use_shani = on && cpu_has_shani();
    return use_shani;
#else
    (void)on;
    return 0;
#endif
}

static void blocks(struct cimg_sha256 *c, const uint8_t *p, size_t n) {
#if defined(__x86_64__)
    if (have_shani()) { blocks_shani(c, p, n); return; }
#endif
    for (; n > 0; n--, p += 64) block(c, p);
}

void cimg_sha256_init(struct cimg_sha256 *c) {
    static const uint32_t init[8] = {0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a,
                                     0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19};
    memcpy(c->state, init, sizeof init);
    c->length = 0;
    c->used = 0;
}

void cimg_sha256_update(struct cimg_sha256 *c, const void *data, size_t len) {
    const uint8_t *p = data;
    c->length += len;
    if (c->used) {
        size_t take = 64 - c->used < len ? 64 - c->used : len;
        memcpy(c->buffer + c->used, p, take);
        c->used += take; p += take; len -= take;
        if (c->used < 64) return;
        blocks(c, c->buffer, 1);
        c->used = 0;
    }
    blocks(c, p, len / 64);
    p += len & ~(size_t)63;
    len &= 63;
    memcpy(c->buffer, p, len);
    c->used = len;
}

void cimg_sha256_final(struct cimg_sha256 *c, uint8_t out[32]) {
    uint64_t bits = c->length * 8;
    uint8_t pad = 0x80, zero = 0;
    cimg_sha256_update(c, &pad, 1);
    while (c->used != 56) cimg_sha256_update(c, &zero, 1);
    uint8_t len[8];
    for (int i = 0; i < 8; i++) len[i] = (uint8_t)(bits >> (56 - 8 * i));
    cimg_sha256_update(c, len, 8);
    for (int i = 0; i < 8; i++) {
        out[4 * i] = (uint8_t)(c->state[i] >> 24); out[4 * i + 1] = (uint8_t)(c->state[i] >> 16);
        out[4 * i + 2] = (uint8_t)(c->state[i] >> 8); out[4 * i + 3] = (uint8_t)c->state[i];
    }
}
