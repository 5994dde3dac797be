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
