import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import { DecryptionError } from '../errors/decryption-error.js';
import { InvalidOptionError } from '../errors/invalid-option-error.js';

/** Record fields that can be encrypted at rest. */
export type EncryptedField = 'args' | 'result' | 'logs' | 'error';

/** The `encryption` option of a manager. */
export interface EncryptionOptions {
  /**
   * Keys by id, each 32 random bytes in base64
   * (`node -e "console.log(crypto.randomBytes(32).toString('base64'))"`).
   * Keep older keys here while records written with them remain.
   */
  keys: Record<string, string>;
  /** The id of the key new writes use. */
  current: string;
  /**
   * What is encrypted. Default `['args', 'result', 'logs']`. `'error'` adds
   * the error message and stack, and then history can no longer be
   * searched by error text (`errorContains` is refused).
   */
  fields?: readonly EncryptedField[];
}

const PREFIX = 'errand:v1:';
const KEY_ID = /^[A-Za-z0-9_.-]{1,64}$/;
const ALL_FIELDS: readonly EncryptedField[] = ['args', 'result', 'logs', 'error'];
const IV_BYTES = 12;
const TAG_BYTES = 16;
/** IVs come from a pool of random bytes, each used once: one randomBytes() call per 1024 seals, not per seal. */
const IV_POOL = IV_BYTES * 1024;
let ivPool = Buffer.alloc(0);
let ivOffset = 0;

function nextIv(): Buffer {
  if (ivOffset + IV_BYTES > ivPool.length) {
    ivPool = randomBytes(IV_POOL);
    ivOffset = 0;
  }
  const iv = ivPool.subarray(ivOffset, ivOffset + IV_BYTES);
  ivOffset += IV_BYTES;
  return iv;
}

/**
 * The keys of one manager, checked once, and AES-256-GCM with them. Every
 * value is sealed as `errand:v1:<key id>:<base64url(iv | tag | ciphertext)>`:
 * the key id travels with the ciphertext, so records written with an older
 * key stay readable after the current key changes. The record id and field
 * name are bound in as additional data, so a value copied to another record
 * or field fails authentication instead of decrypting there.
 */
export class Keyring {
  readonly current: string;
  readonly fields: ReadonlySet<EncryptedField>;
  readonly #keys = new Map<string, Buffer>();

  constructor(options: EncryptionOptions) {
    if (!options || typeof options !== 'object' || !options.keys || typeof options.keys !== 'object') {
      throw new InvalidOptionError('encryption.keys must be an object of key id -> base64 key');
    }
    for (const [id, encoded] of Object.entries(options.keys)) {
      if (!KEY_ID.test(id)) {
        throw new InvalidOptionError(`encryption.keys: key id "${id}" must be 1-64 of A-Z a-z 0-9 _ . -`);
      }
      const key = typeof encoded === 'string' ? Buffer.from(encoded, 'base64') : Buffer.alloc(0);
      if (key.length !== 32) {
        throw new InvalidOptionError(
          `encryption.keys.${id} must be 32 bytes in base64 (got ${key.length} bytes)`,
        );
      }
      this.#keys.set(id, key);
    }
    if (typeof options.current !== 'string' || !this.#keys.has(options.current)) {
      throw new InvalidOptionError(
        `encryption.current must name one of encryption.keys, got ${String(options.current)}`,
      );
    }
    this.current = options.current;
    const fields = options.fields ?? ['args', 'result', 'logs'];
    if (!Array.isArray(fields) || fields.some((field) => !ALL_FIELDS.includes(field))) {
      throw new InvalidOptionError(`encryption.fields takes some of ${ALL_FIELDS.join(', ')}`);
    }
    // An attempt that is retried leaves its error in the log (see model/attempt-line.ts).
    if (fields.includes('error') && !fields.includes('logs')) {
      throw new InvalidOptionError(
        'encryption.fields: "error" needs "logs" too (the log keeps the errors of earlier attempts)',
      );
    }
    this.fields = new Set(fields);
  }

  /** Seals `plain` with the current key, bound to `aad` (record id and field). */
  seal(plain: string, aad: string): string {
    const iv = nextIv();
    const cipher = createCipheriv('aes-256-gcm', this.#keys.get(this.current)!, iv);
    cipher.setAAD(Buffer.from(aad));
    const body = Buffer.concat([cipher.update(plain, 'utf8'), cipher.final()]);
    const payload = Buffer.concat([iv, cipher.getAuthTag(), body]).toString('base64url');
    return `${PREFIX}${this.current}:${payload}`;
  }

  /** Opens a sealed value; `taskId` names the record in the error when it cannot. */
  open(sealed: string, aad: string, taskId: string): string {
    const rest = sealed.slice(PREFIX.length);
    const colon = rest.indexOf(':');
    const keyId = rest.slice(0, colon);
    const key = this.#keys.get(keyId);
    if (!key) throw new DecryptionError(taskId, keyId, 'unknown-key');
    const payload = Buffer.from(rest.slice(colon + 1), 'base64url');
    try {
      const decipher = createDecipheriv('aes-256-gcm', key, payload.subarray(0, IV_BYTES));
      decipher.setAAD(Buffer.from(aad));
      decipher.setAuthTag(payload.subarray(IV_BYTES, IV_BYTES + TAG_BYTES));
      return Buffer.concat([
        decipher.update(payload.subarray(IV_BYTES + TAG_BYTES)),
        decipher.final(),
      ]).toString('utf8');
    } catch {
      throw new DecryptionError(taskId, keyId, 'tampered');
    }
  }
}

/** Whether a string is a sealed value (and not plain text that merely looks alike). */
export function isSealed(value: unknown): value is string {
  return (
    typeof value === 'string' && value.startsWith(PREFIX) && value.indexOf(':', PREFIX.length) > PREFIX.length
  );
}

/** The key id a sealed value was written with. */
export function sealedKeyId(sealed: string): string {
  const rest = sealed.slice(PREFIX.length);
  return rest.slice(0, rest.indexOf(':'));
}
