'use strict';
// Frontegg's Node SDK (@frontegg/client, unchanged) against a running yolk. Started by ../run.sh, which passes:
//   SDK_YOLK_URL        the yolk under test (normal token lifetimes)
//   SDK_YOLK_SHORT_URL  a second yolk on the same database (same signing key) whose access tokens live 2 s
//   SDK_CLIENT_ID, SDK_API_KEY  the environment credentials both were started with
// The SDK talks to yolk through a small recording proxy, so the test can check which calls landed.

const { test, before, after } = require('node:test');
const assert = require('node:assert/strict');
const http = require('node:http');
const crypto = require('node:crypto');

const YOLK = required('SDK_YOLK_URL');
const YOLK_SHORT = required('SDK_YOLK_SHORT_URL');
const CLIENT_ID = required('SDK_CLIENT_ID');
const API_KEY = required('SDK_API_KEY');
const PASSWORD = 'Sdk-test-Passw0rd!';

function required(name) {
  const v = process.env[name];
  if (!v) throw new Error(`${name} is not set: run this test through tests/sdk/node/run.sh`);
  return v;
}

/** Every request the SDK made, as `METHOD /path` (query dropped). */
const hits = [];
let proxy;
let fe; // the SDK module, required once the gateway URL is set
let user; // { email, userId, tenantId, token }

/** A proxy in front of yolk that records each request and forwards it unchanged. */
function startProxy(target) {
  const up = new URL(target);
  const server = http.createServer((req, res) => {
    hits.push(`${req.method} ${req.url.split('?')[0]}`);
    const fwd = http.request(
      { host: up.hostname, port: up.port, path: req.url, method: req.method, headers: req.headers },
      (upRes) => {
        res.writeHead(upRes.statusCode, upRes.headers);
        upRes.pipe(res);
      },
    );
    fwd.on('error', (e) => {
      res.writeHead(502, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ errors: [`proxy: ${e.message}`] }));
    });
    req.pipe(fwd);
  });
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve(server)));
}

async function api(base, method, path, body) {
  const res = await fetch(base + path, {
    method,
    headers: { 'content-type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await res.text();
  let json = null;
  try {
    json = text ? JSON.parse(text) : null;
  } catch {
    // not JSON: keep the text for the message
  }
  return { status: res.status, body: json, text };
}

async function login(base, email) {
  const res = await api(base, 'POST', '/identity/resources/auth/v1/user', { email, password: PASSWORD });
  assert.equal(res.status, 200, `login on ${base}: ${res.text}`);
  assert.ok(res.body.accessToken, 'login returned an accessToken');
  return res.body.accessToken;
}

function decode(token) {
  const [header, payload] = token
    .split('.')
    .slice(0, 2)
    .map((p) => JSON.parse(Buffer.from(p, 'base64url').toString()));
  return { header, payload };
}

/** The token with its payload changed (claims edited, signature kept). */
function tamper(token, edit) {
  const [h, p, s] = token.split('.');
  const claims = JSON.parse(Buffer.from(p, 'base64url').toString());
  edit(claims);
  return [h, Buffer.from(JSON.stringify(claims)).toString('base64url'), s].join('.');
}

async function rejects(promise, status) {
  await assert.rejects(promise, (e) => {
    assert.equal(e.statusCode, status, `expected a ${status} rejection, got ${e.statusCode}: ${e.message}`);
    return true;
  });
}

before(async () => {
  proxy = await startProxy(YOLK);
  const { port } = proxy.address();
  // Read once, at require time (CLIENTS.md §1.1): set before the first require.
  process.env.FRONTEGG_API_GATEWAY_URL = `http://127.0.0.1:${port}`;
  process.env.FRONTEGG_AUTHENTICATOR_NUMBER_OF_TRIES = '1';
  process.env.FRONTEGG_CLIENT_ID = CLIENT_ID;
  process.env.FRONTEGG_API_KEY = API_KEY;
  fe = require('@frontegg/client');
  fe.FronteggContext.init({ FRONTEGG_CLIENT_ID: CLIENT_ID, FRONTEGG_API_KEY: API_KEY });

  // Seed a tenant and its first user through yolk's API.
  const email = `sdk-${crypto.randomUUID()}@example.com`;
  const res = await api(YOLK, 'POST', '/identity/resources/users/v1/signUp', {
    email,
    password: PASSWORD,
    companyName: 'SDK Test Co',
  });
  assert.ok(res.status === 200 || res.status === 201, `signUp: ${res.status} ${res.text}`);
  assert.ok(res.body.userId && res.body.tenantId, `signUp body: ${res.text}`);
  // A new account proves its email before it may log in (Frontegg's default): the environment verifies it here.
  const vendor = await api(YOLK, 'POST', '/auth/vendor', { clientId: CLIENT_ID, secret: API_KEY });
  assert.equal(vendor.status, 200, `auth/vendor: ${vendor.text}`);
  const verified = await fetch(`${YOLK}/identity/resources/users/v1/${res.body.userId}/verify`, {
    method: 'POST',
    headers: { 'x-access-token': vendor.body.token },
  });
  assert.ok(verified.ok, `verify: ${verified.status}`);
  user = { email, userId: res.body.userId, tenantId: res.body.tenantId, token: await login(YOLK, email) };
});

after(async () => {
  if (proxy) {
    proxy.closeAllConnections();
    await new Promise((resolve) => proxy.close(resolve));
  }
  // The SDK keeps a vendor-token refresh timer (hours long) for the life of the process, as a server would: end
  // this test process once the runner is done with it. The runner's exit code (process.exitCode) is kept.
  setTimeout(() => process.exit(), 500).unref();
});

test('validateIdentityOnToken accepts a user token from yolk login', async () => {
  const entity = await fe.IdentityClient.getInstance().validateIdentityOnToken(user.token);
  assert.equal(entity.type, 'userToken');
  assert.equal(entity.sub, user.userId);
  assert.equal(entity.tenantId, user.tenantId);
  assert.equal(entity.email, user.email);
});

test('validateIdentityOnToken also accepts the "Bearer " form', async () => {
  const entity = await fe.IdentityClient.getInstance().validateIdentityOnToken(`Bearer ${user.token}`);
  assert.equal(entity.sub, user.userId);
});

test('validateIdentityOnToken rejects a tampered token', async () => {
  const forged = tamper(user.token, (c) => {
    c.sub = crypto.randomUUID();
  });
  await rejects(fe.IdentityClient.getInstance().validateIdentityOnToken(forged), 401);
  const garbage = `${user.token.slice(0, -4)}AAAA`;
  await rejects(fe.IdentityClient.getInstance().validateIdentityOnToken(garbage), 401);
});

test('validateIdentityOnToken rejects an expired token signed with the right key', async () => {
  const token = await login(YOLK_SHORT, user.email);
  const { header, payload } = decode(token);
  assert.equal(header.kid, decode(user.token).header.kid, 'both yolk processes sign with the same key');
  assert.ok(payload.exp - payload.iat <= 2, `short-lived token: exp-iat = ${payload.exp - payload.iat}`);
  const waitMs = (payload.exp + 1) * 1000 - Date.now();
  if (waitMs > 0) await new Promise((r) => setTimeout(r, waitMs));
  await rejects(fe.IdentityClient.getInstance().validateIdentityOnToken(token), 401);
});

test('withAuthentication guards an express route', async () => {
  const express = require('express');
  const app = express();
  app.get('/protected', fe.withAuthentication(), (req, res) => {
    res.json({ sub: req.frontegg.user.sub, id: req.frontegg.user.id, tenantId: req.frontegg.user.tenantId });
  });
  // withAuthentication answers the failure itself and then calls next(err): the response is already sent.
  app.use((err, req, res, next) => {
    if (!res.headersSent) res.status(500).end();
  });
  const server = await new Promise((resolve) => {
    const s = app.listen(0, '127.0.0.1', () => resolve(s));
  });
  try {
    const base = `http://127.0.0.1:${server.address().port}/protected`;

    const ok = await fetch(base, { headers: { authorization: `Bearer ${user.token}` } });
    assert.equal(ok.status, 200);
    const body = await ok.json();
    assert.equal(body.sub, user.userId);
    assert.equal(body.id, user.userId);
    assert.equal(body.tenantId, user.tenantId);

    const none = await fetch(base);
    assert.equal(none.status, 401);
    assert.equal(await none.text(), 'Unauthenticated');

    const forged = tamper(user.token, (c) => {
      c.tenantId = crypto.randomUUID();
    });
    const bad = await fetch(base, { headers: { authorization: `Bearer ${forged}` } });
    assert.equal(bad.status, 401);
  } finally {
    server.closeAllConnections?.();
    await new Promise((resolve) => server.close(resolve));
  }
});

test("the SDK's calls landed on yolk", () => {
  assert.ok(hits.includes('POST /auth/vendor'), `hits: ${hits.join(', ')}`);
  assert.ok(hits.includes('GET /identity/resources/configurations/v1'), `hits: ${hits.join(', ')}`);
  const unexpected = hits.filter((h) => !h.startsWith('POST /auth/vendor') && !h.startsWith('GET /identity/'));
  assert.deepEqual(unexpected, [], 'only vendor auth and identity reads');
});
