// Turns the gateway's OpenAPI document into the TypeScript types the web app's client is typed by.
// One function, used by the generator and by the test that checks the committed file is fresh.
import openapiTS, { astToString } from 'openapi-typescript';

/** Where the generated types live, relative to apps/web. */
export const schemaFile = 'src/api/schema.gen.ts';

const header = `// Generated from the gateway's /openapi.json by \`npm run generate:api -w apps/web\`. Do not edit.
/* eslint-disable */
`;

/** The TypeScript source of the API's types, from the OpenAPI document (an object). */
export async function renderApiSchema(document) {
  const ast = await openapiTS(document, { alphabetize: true });
  return header + astToString(ast);
}
