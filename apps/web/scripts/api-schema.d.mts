/** Where the generated types live, relative to apps/web. */
export declare const schemaFile: string;
/** The TypeScript source of the API's types, from the OpenAPI document. */
export declare function renderApiSchema(document: object): Promise<string>;
