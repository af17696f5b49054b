'use strict';
// The test app's web server: a page that runs Frontegg's browser SDK (@frontegg/js, unchanged, from node_modules)
// and the stand-in login box it loads from `cdnUrl`. Listens on a free loopback port (or argv[2]) and prints
// `listening on http://HOST:PORT`. Any path that is not a file is the app page, as in a single-page app (the
// SDK's routes /account/login, /account/login/magic-link, /account/reset-password, ...).

const http = require('node:http');
const fs = require('node:fs');
const path = require('node:path');

const here = __dirname;
const files = {
  '/sdk/frontegg.js': path.join(here, 'node_modules/@frontegg/js/umd/frontegg.production.min.js'),
  '/app.js': path.join(here, 'page/app.js'),
  // FronteggApp.loadScript fetches `${cdnUrl}/login-box/index.js` and `${cdnUrl}/admin-portal/index.js`.
  '/cdn/login-box/index.js': path.join(here, 'page/login-box.js'),
};
const index = path.join(here, 'page/index.html');

const server = http.createServer((req, res) => {
  const url = new URL(req.url, 'http://localhost');
  if (req.method !== 'GET' && req.method !== 'HEAD') {
    res.writeHead(405).end();
    return;
  }
  if (url.pathname === '/favicon.ico') {
    res.writeHead(204).end();
    return;
  }
  const file = files[url.pathname];
  if (!file && (url.pathname.startsWith('/cdn/') || url.pathname.startsWith('/sdk/'))) {
    res.writeHead(404, { 'content-type': 'text/plain' }).end('not found');
    return;
  }
  fs.readFile(file || index, (err, body) => {
    if (err) {
      res.writeHead(500, { 'content-type': 'text/plain' }).end(String(err));
      return;
    }
    const type = (file || index).endsWith('.js') ? 'text/javascript' : 'text/html';
    res.writeHead(200, { 'content-type': `${type}; charset=utf-8`, 'cache-control': 'no-store' });
    res.end(req.method === 'HEAD' ? undefined : body);
  });
});

server.listen(Number(process.argv[2] || 0), '127.0.0.1', () => {
  const { address, port } = server.address();
  console.log(`listening on http://${address}:${port}`);
});
for (const signal of ['SIGTERM', 'SIGINT']) {
  process.on(signal, () => {
    server.closeAllConnections();
    server.close(() => process.exit(0));
  });
}
