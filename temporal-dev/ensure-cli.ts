// `npm run temporal:cli`: make sure the pinned Temporal CLI exists (building it once if needed).
import { findTemporalCli, cliVersion } from './cli-binary.js';

const cli = await findTemporalCli({ configured: process.env.DASH_TEMPORAL_CLI });
console.log(`Temporal CLI: ${cli} (${await cliVersion(cli)})`);
