import { ErrandError } from './errand-error.js';

/**
 * A stored value could not be decrypted: its key id is not among the
 * configured `encryption.keys` (a key was removed while records still use
 * it), or the ciphertext does not match its authentication tag (it was
 * changed in the store, or copied from another record or field).
 */
export class DecryptionError extends ErrandError {
  /** The key id the value names. */
  readonly keyId: string;
  /** The record the value belongs to. */
  readonly taskId: string;
  /** `'unknown-key'` or `'tampered'` (the authentication tag did not match). */
  readonly reason: 'unknown-key' | 'tampered';

  constructor(taskId: string, keyId: string, reason: 'unknown-key' | 'tampered') {
    super(
      'ERR_DECRYPT',
      reason === 'unknown-key'
        ? `task ${taskId} was encrypted with key "${keyId}", which is not in encryption.keys: keep old keys until reencrypt() reports none left`
        : `task ${taskId}: a value encrypted with key "${keyId}" failed authentication (changed in the store, or moved from another record)`,
    );
    this.keyId = keyId;
    this.taskId = taskId;
    this.reason = reason;
  }
}
