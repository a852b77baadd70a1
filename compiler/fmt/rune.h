/* Runes as Go reads them: UTF-8 decoding with Go's rules (an invalid byte is
 * U+FFFD and one byte long) and unicode.IsSpace. The formatter needs these to
 * agree with Caddy's byte for byte; nothing else in zsc depends on them. */
#ifndef ZSC_FMT_RUNE_H
#define ZSC_FMT_RUNE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define RUNE_ERROR 0xfffdu

/* The rune at s[0..len) (len > 0) and its length in *size (1 for an invalid
 * or truncated sequence, which decodes to RUNE_ERROR). */
uint32_t rune_decode(const unsigned char *s, size_t len, size_t *size);

/* The rune that ends at s[len) (len > 0), with the same rules read backwards. */
uint32_t rune_decode_last(const unsigned char *s, size_t len, size_t *size);

/* UTF-8 of r into buf (4 bytes at least); returns its length. */
size_t rune_encode(uint32_t r, unsigned char *buf);

/* unicode.IsSpace: ASCII and Latin-1 spaces and the White_Space property */
bool rune_is_space(uint32_t r);

#endif
