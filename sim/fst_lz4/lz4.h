/* Store-only LZ4 for Verilator's FST writer (waveforms with --waves).
 *
 * Verilator 5.48's FST writer (include/fstcpp) compresses blocks with LZ4 and links -llz4;
 * the system has no liblz4 and the flow installs nothing outside PyPI. This header gives
 * the two functions the writer calls. LZ4_compress_default emits a valid LZ4 *block* made
 * of one literal-only sequence (token, literal length, the bytes, no match), which every
 * LZ4 decoder (GTKWave, Surfer, fst readers) accepts: the FST file is valid, only not
 * compressed. sim/build.py pairs it with an empty liblz4.a so that -llz4 links.
 */
#ifndef LOWBIT_STORE_ONLY_LZ4_H
#define LOWBIT_STORE_ONLY_LZ4_H

#include <string.h>

static inline int LZ4_compressBound(int n) {
    return (n < 0 || n > 0x7E000000) ? 0 : n + n / 255 + 16;
}

static inline int LZ4_compress_default(const char* src, char* dst, int n, int cap) {
    if (n < 0 || cap < LZ4_compressBound(n)) return 0;
    char* out = dst;
    int rest = n;
    if (rest >= 15) {
        *out++ = (char)0xF0;  /* literal length 15+, no match */
        rest -= 15;
        while (rest >= 255) { *out++ = (char)0xFF; rest -= 255; }
        *out++ = (char)rest;
    } else {
        *out++ = (char)(rest << 4);
    }
    memcpy(out, src, (size_t)n);
    out += n;
    return (int)(out - dst);
}

#endif
