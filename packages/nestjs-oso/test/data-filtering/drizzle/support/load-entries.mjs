// Imports package entries (argv 3...) with the packages whose resolved URL matches argv 2 refused, so that loading
// one fails the import. Lives in the package's tree so that `nestjs-oso` resolves through its exports map.
import { register } from 'node:module';

const [forbidden, ...entries] = process.argv.slice(2);
const hook = `export async function resolve(specifier, context, next) {
  const result = await next(specifier, context);
  if (new RegExp(${JSON.stringify(forbidden)}).test(result.url)) throw new Error('loaded ' + result.url);
  return result;
}`;
register('data:text/javascript,' + encodeURIComponent(hook));
for (const entry of entries) await import(entry);
console.log('loaded ' + entries.join(', '));
