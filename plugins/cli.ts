#!/usr/bin/env node
import 'reflect-metadata';
import { installStderrKillSwitch } from '../core/cli/failpoint.js';
import { main } from '../core/cli/main.js';
import { builtinPluginEntries } from './builtins.js';

installStderrKillSwitch();
main(process.argv.slice(2), builtinPluginEntries()).then(
  (code) => {
    process.exitCode = code;
  },
  (e) => {
    console.error(e);
    process.exitCode = 1;
  },
);
