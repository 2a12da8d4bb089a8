import { definePlugin } from '../../core/index.js';
import { USERS_COMMANDS } from './src/cli.js';

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
});
