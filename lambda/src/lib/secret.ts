import { createHmac } from 'node:crypto';

/**
 * The HMAC key from the secret's stored text (the local key file, or the SSM
 * SecureString value): surrounding whitespace such as a trailing newline is
 * not part of the key; the remaining text's UTF-8 bytes are. Both targets
 * therefore hash the same email to the same value for the same secret text.
 */
export function keyFromSecretText(text: string): Buffer {
  const trimmed = text.trim();
  if (trimmed.length === 0) throw new Error('the secret key is empty');
  return Buffer.from(trimmed, 'utf8');
}

/** Lowercase hex HMAC-SHA256 of `text` under `key`. */
export function hmacSha256Hex(key: Buffer, text: string): string {
  return createHmac('sha256', key).update(text, 'utf8').digest('hex');
}
