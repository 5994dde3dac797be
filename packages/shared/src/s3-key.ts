/**
 * Decodes an object key as S3 writes it into event notifications: form-URL encoded,
 * so `+` is a space, `%2B` is a plus, and non-ASCII characters are UTF-8 percent-encoded.
 *
 * @example
 * decodeS3Key("uploads/my+report%2B2024.txt"); // "uploads/my report+2024.txt"
 * @throws URIError when the key holds a malformed percent escape.
 */
export function decodeS3Key(encoded: string): string {
  return decodeURIComponent(encoded.replace(/\+/g, " "));
}

/**
 * {@link decodeS3Key} for keys that may not decode: `undefined` instead of a `URIError`, so a
 * caller can treat a malformed key as data (a record that can never succeed) rather than a crash.
 *
 * @example
 * tryDecodeS3Key("uploads/a%20b.txt"); // "uploads/a b.txt"
 * tryDecodeS3Key("uploads/bad%E6.txt"); // undefined
 */
export function tryDecodeS3Key(encoded: string): string | undefined {
  try {
    return decodeS3Key(encoded);
  } catch (error) {
    if (error instanceof URIError) return undefined;
    throw error;
  }
}

/** The longest object key S3 accepts, in bytes of UTF-8 (S3 documents a 1,024-byte limit). */
export const MAX_S3_KEY_BYTES = 1024;

/**
 * Encodes an object key the way S3 does in event notifications (the inverse of {@link decodeS3Key}).
 * `/` is kept, a space becomes `+`, and other reserved or non-ASCII characters are percent-encoded.
 *
 * @example
 * encodeS3Key("uploads/my report+2024.txt"); // "uploads/my+report%2B2024.txt"
 */
export function encodeS3Key(key: string): string {
  return key
    .split("/")
    .map((segment) => encodeURIComponent(segment).replace(/%20/g, "+"))
    .join("/");
}
