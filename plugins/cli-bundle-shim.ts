// Injected into the CLI's CommonJS bundle (tsup.config.ts): import.meta.url there is dist/cli.js, as in the ES build.
import path from 'node:path';
import { pathToFileURL } from 'node:url';

export const qonlineCliUrl = pathToFileURL(path.join(__dirname, 'cli.js')).href;
