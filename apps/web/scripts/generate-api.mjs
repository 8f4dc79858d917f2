// `npm run generate:api -w apps/web [URL]`: fetches the OpenAPI document of a running gateway
// (default: the one `npm start` serves) and rewrites the web app's typed API client schema.
import { writeFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { renderApiSchema, schemaFile } from './api-schema.mjs';

const url = process.argv[2] ?? 'http://127.0.0.1:8080/openapi.json';
const response = await fetch(url).catch((error) => {
  console.error(`could not reach ${url} (start the gateway with \`npm start\` first): ${error.message}`);
  process.exit(1);
});
if (!response.ok) {
  console.error(`${url} answered ${response.status}`);
  process.exit(1);
}
const target = fileURLToPath(new URL(`../${schemaFile}`, import.meta.url));
await writeFile(target, await renderApiSchema(await response.json()));
console.log(`wrote ${target}`);
