import { definePlugin, QonlineError, type ExperimentStore } from '../../core/index.js';
import { USERS_COMMANDS, usersListData, usersPageHtml, userShowData } from './src/cli.js';
import { TradingDesk } from './src/desk.js';
import { USERS_CSS } from './src/page.js';
import { usersMigrations } from './src/migrations.js';

export { TradingDesk, refused } from './src/desk.js';
export type { DeskEnv, Step, StepName, StepOutcome, StoredFill, StoredOrder, UserRecord, UserShow, UserSummary } from './src/desk.js';
export { readUserConfig, looksLikeUserConfig, USER_CONFIG_KEYS } from './src/config.js';
export type { UserConfig, ScoreSource, LoadedUserConfig } from './src/config.js';
export { usersMigrations } from './src/migrations.js';
export { openDesk, usersListData, userShowData, usersPageHtml, USERS_COMMANDS } from './src/cli.js';
export { renderUsersHtml, type UserPageData } from './src/page.js';

/** Users, accounts and the trading day (Qlib's UserManager and operator) in the store. */
export const usersPlugin = definePlugin({
  name: 'users',
  version: '0.1.0',
  description: "Users, their accounts and the trading day (generate, execute, update) in the SQL store, on the backtest plugin's exchange and strategies.",
  components: [],
  commands: USERS_COMMANDS,
  // Applied when the desk first opens on a store (TradingDesk.open), so stores without users have no users tables.
  migrationsOnUse: { users: usersMigrations },
  // `qonline serve` mounts these beside its own routes (read-only; the desk is opened on the served store).
  apiRoutes: [
    {
      method: 'GET',
      url: '/api/users',
      schema: {
        summary: 'The users: last day done, step, cash and account value (as `users list --json`)',
        response: { 200: { type: 'array', items: { type: 'object', additionalProperties: true } } },
      },
      handler: async ({ store }) => usersListData(await readOnlyDesk(store)),
    },
    {
      method: 'GET',
      url: '/api/users/:id',
      schema: {
        summary: 'One user (as `users show ID --json`)',
        params: { type: 'object', required: ['id'], properties: { id: { type: 'string', minLength: 1, maxLength: 64 } } },
        response: { 200: { type: 'object', additionalProperties: true } },
      },
      handler: async ({ store, params }) => {
        const desk = await readOnlyDesk(store);
        const id = params.id!;
        // An unknown user is a 404 (the server answers an error's 4xx statusCode).
        if (!(await usersListData(desk)).some((u) => u.id === id)) throw Object.assign(new Error(`no user ${JSON.stringify(id)}`), { statusCode: 404 });
        return userShowData(desk, id);
      },
    },
    {
      method: 'GET',
      url: '/users',
      contentType: 'text/html; charset=utf-8',
      schema: { summary: 'The users page: account value over time, positions today, last orders' },
      handler: async ({ store }) => usersPageHtml(await readOnlyDesk(store), { stylesheet: '/assets/users.css' }),
    },
    {
      method: 'GET',
      url: '/assets/users.css',
      contentType: 'text/css; charset=utf-8',
      schema: { summary: "The users page's stylesheet" },
      handler: async () => USERS_CSS,
    },
  ],
});

/** A desk for reading (listing and showing users needs no component). */
function readOnlyDesk(store: ExperimentStore): Promise<TradingDesk> {
  return TradingDesk.open({
    store,
    resolve: (() => {
      throw new QonlineError('QONLINE_USAGE', 'the HTTP API only reads users');
    }) as never,
  });
}
