export { BYTES_PATTERN, DURATION_PATTERN, parseBytes, parseDuration } from '@herald/sdk';
