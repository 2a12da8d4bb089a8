#!/usr/bin/env node
import 'reflect-metadata';
console.log('qonline');
