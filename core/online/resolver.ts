export type { Resolver } from '../contracts/online.js';
