import { PRELUDE } from './prelude.js';

/**
 * `now()`: the store clock in epoch ms. A script (rather than the TIME
 * command) so that on a cluster it reads the clock of the node that runs
 * the claims.
 */
export const NOW_SCRIPT = /* lua */ `${PRELUDE}
return num(storeNow())
`;
