import { randomFillSync } from 'node:crypto';

const POOL_SIZE = 10 * 1024;
const pool = Buffer.allocUnsafe(POOL_SIZE);
let poolOffset = POOL_SIZE;

let lastMillis = 0;
let sequence = 0;

/** Hex digit codes, 0-9a-f, as latin1 bytes. */
const DIGITS = Buffer.from('0123456789abcdef', 'latin1');
/** One id is written into this buffer, then decoded once: a flat string, not a tree of joins. */
const out = Buffer.alloc(36);
out[8] = out[13] = out[18] = out[23] = 0x2d; // '-'

/**
 * A UUID version 7: 48 bits of milliseconds, then a 12-bit counter for ids
 * made in the same millisecond, then random bits. Ids made by one process
 * sort in creation order, which keeps index inserts at the right edge of a
 * B-tree and gives `(createdAt, id)` a stable order. Randomness comes from a
 * pooled buffer so that an id costs no system call, and the id is decoded
 * from a buffer in one go: a string built by joining pieces is kept by V8 as
 * a tree of fragments, eight times the size of the 36 characters.
 */
export function newTaskId(now = Date.now()): string {
  if (now > lastMillis) {
    lastMillis = now;
    sequence = 0;
  } else if (++sequence > 0xfff) {
    // More than 4096 ids in one millisecond: borrow the next millisecond.
    lastMillis++;
    sequence = 0;
  }
  if (poolOffset + 8 > POOL_SIZE) {
    randomFillSync(pool);
    poolOffset = 0;
  }
  const r = poolOffset;
  poolOffset += 8;
  const ms = lastMillis;
  const high = Math.floor(ms / 0x10000);
  hex(0, (high >>> 24) & 0xff);
  hex(2, (high >>> 16) & 0xff);
  hex(4, (high >>> 8) & 0xff);
  hex(6, high & 0xff);
  hex(9, (ms >>> 8) & 0xff);
  hex(11, ms & 0xff);
  hex(14, 0x70 | (sequence >>> 8));
  hex(16, sequence & 0xff);
  hex(19, 0x80 | (pool[r]! & 0x3f));
  hex(21, pool[r + 1]!);
  for (let i = 2; i < 8; i++) hex(20 + 2 * i, pool[r + i]!);
  return out.toString('latin1', 0, 36);
}

function hex(at: number, byte: number): void {
  out[at] = DIGITS[byte >>> 4]!;
  out[at + 1] = DIGITS[byte & 0x0f]!;
}
