/** Sequencers are compared at this width; S3's are about 16 to 20 hexadecimal digits. */
export const SEQUENCER_WIDTH = 64;

/**
 * Turns an S3 event `sequencer` into a string whose plain lexicographic order is S3's event order
 * for one key. AWS documents the comparison as: right-pad the shorter value with zeros, then compare
 * lexicographically. Padding every value to one width (and one letter case) does exactly that, so
 * DynamoDB can compare the stored value in a condition expression.
 *
 * @example
 * sequencerOrderKey("0055AED6DCD90281E5") > sequencerOrderKey("0055AED6DCD90281E4"); // true
 * @throws RangeError when the value is not hexadecimal or is longer than {@link SEQUENCER_WIDTH}.
 */
export function sequencerOrderKey(sequencer: string): string {
  if (!/^[0-9A-Fa-f]+$/.test(sequencer)) throw new RangeError(`sequencer "${sequencer}" is not hexadecimal`);
  if (sequencer.length > SEQUENCER_WIDTH) {
    throw new RangeError(`sequencer "${sequencer}" is longer than ${SEQUENCER_WIDTH} digits`);
  }
  return sequencer.toUpperCase().padEnd(SEQUENCER_WIDTH, "0");
}
