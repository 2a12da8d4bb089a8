import 'reflect-metadata';
export * from '../core/index.js';
