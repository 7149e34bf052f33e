// `npm test` runs this first: it stops with one message naming every missing data file and where
// it comes from, instead of a run of ENOENT failures (issue 16, section 8).
import { missingDataMessage, missingTestData } from './data';

const message = missingDataMessage(missingTestData());
if (message) {
  console.error(message);
  process.exit(1);
}
