/*  herd_wire_private - what the two files of herd_wire share: big-endian
    integers, and the updates frame's sizes  */

#ifndef HERD_WIRE_PRIVATE_H_INCLUDED
#define HERD_WIRE_PRIVATE_H_INCLUDED

#include "herd_wire.h"

//  The updates frame of an AT: a count, then the updates back to back.
#define HERD_WIRE_COUNT_SIZE 4
//  The least an update takes: sizes and stamp, one-byte originator
#define HERD_WIRE_UPDATE_MIN (1 + 1 + 16 + 2 + 4)

static inline void
herd_wire_put_u64 (byte *at, uint64_t value)
{
    for (int i = 7; i >= 0; i--) {
        at[i] = (byte) (value & 0xff);
        value >>= 8;
    }
}

static inline uint64_t
herd_wire_get_u64 (const byte *at)
{
    uint64_t value = 0;
    for (int i = 0; i < 8; i++)
        value = (value << 8) | at[i];
    return value;
}

static inline void
herd_wire_put_u32 (byte *at, uint32_t value)
{
    at[0] = (byte) (value >> 24);
    at[1] = (byte) (value >> 16);
    at[2] = (byte) (value >> 8);
    at[3] = (byte) value;
}

static inline uint32_t
herd_wire_get_u32 (const byte *at)
{
    return ((uint32_t) at[0] << 24) | ((uint32_t) at[1] << 16)
           | ((uint32_t) at[2] << 8) | at[3];
}

#endif
