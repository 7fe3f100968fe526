// A stand-in for a service, shared by the lesson's programs: one call of a request handler
// per URL on the command line, 100 ms apart, as a web framework calls a handler for each
// incoming request. Like Node's own http.createServer, it does not catch what a handler
// throws: a rejected promise is the handler's to handle.
//
//     node article_ai.mjs URL1 URL2 ...     request i asks for user i, at URLi
//
// userUrl(id) stands in for the article's `https://api.service.com/v1/users/${id}`: the fault
// server in the lesson answers on its own paths, so user `id` lives at the id-th URL.

// Read when needed, not at import: a program may take its own options off argv first.
const urls = () => process.argv.slice(2);

export function userUrl(id) {
  const url = urls()[id - 1];
  if (url === undefined) {
    throw new RangeError(`no URL for user ${id}: give one URL per user on the command line`);
  }
  return url;
}

export function serve(handler, { spacingMs = 100 } = {}) {
  if (urls().length === 0) {
    console.error("usage: node <program>.mjs URL [URL ...]");
    process.exit(64);
  }
  urls().forEach((_, i) => {
    const id = i + 1;
    setTimeout(() => {
      handler(id).then((line) => console.log(`request ${id}: ${line}`));
    }, i * spacingMs);
  });
}
