import type { Command } from '../context.js';
import { daemonCommand } from './daemon.js';
import { docsCommand } from './docs.js';
import { doctorCommand } from './doctor.js';
import { historyCommand, onlineSetCommand, rollbackCommand } from './history.js';
import { modelsCompareCommand } from './models-compare.js';
import { modelsImportCommand } from './models-import.js';
import { modelsListCommand } from './models-list.js';
import { modelsShowCommand } from './models-show.js';
import { pluginsListCommand } from './plugins-list.js';
import { runCommand } from './run.js';
import { signalsCommand } from './signals.js';
import { tasksPreviewCommand } from './tasks-preview.js';
import { TASK_POOL_COMMANDS } from './tasks.js';
import { validateCommand } from './validate.js';
import { workerCommand } from './worker.js';

/** Every CLI command; plugins/cli.ts adds nothing here (commands are core). */
export const COMMANDS: Command[] = [
  runCommand,
  daemonCommand,
  validateCommand,
  doctorCommand,
  tasksPreviewCommand,
  ...TASK_POOL_COMMANDS,
  workerCommand,
  modelsListCommand,
  modelsShowCommand,
  modelsCompareCommand,
  modelsImportCommand,
  signalsCommand,
  historyCommand,
  onlineSetCommand,
  rollbackCommand,
  pluginsListCommand,
  docsCommand,
];
