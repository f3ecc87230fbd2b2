export { systemClock } from '@herald/sdk';
