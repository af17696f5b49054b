'use strict';
// Helpers for the browser test: yolk's management API, the outbox, the browser and what a page shows and sent.

const assert = require('node:assert/strict');
const crypto = require('node:crypto');

function required(name) {
  const v = process.env[name];
  if (!v) throw new Error(`${name} is not set: run this test through tests/browser/run.sh`);
  return v;
}

const YOLK = required('BROWSER_YOLK_URL');
const PAGE = required('BROWSER_PAGE_URL');
const CLIENT_ID = required('BROWSER_CLIENT_ID');
const API_KEY = required('BROWSER_API_KEY');
const CHROMIUM = process.env.BROWSER_CHROMIUM || '/usr/bin/chromium';

// ---------------------------------------------------------------------------------------------------------------
// yolk's API, as the environment (the vendor's backend) would call it.

async function api(method, path, body, headers = {}) {
  const res = await fetch(YOLK + path, {
    method,
    headers: { 'content-type': 'application/json', ...headers },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await res.text();
  let json = null;
  try {
    json = text ? JSON.parse(text) : null;
  } catch {
    // not JSON: the text is kept for messages
  }
  return { status: res.status, body: json, text };
}

let envToken = null;
/** The environment token (`POST /auth/vendor`), fetched once. */
async function vendorToken() {
  if (!envToken) {
    const res = await api('POST', '/auth/vendor', { clientId: CLIENT_ID, secret: API_KEY });
    assert.equal(res.status, 200, `auth/vendor: ${res.text}`);
    envToken = res.body.token;
  }
  return envToken;
}

async function vendor(method, path, body, headers = {}) {
  return api(method, path, body, { 'x-access-token': await vendorToken(), ...headers });
}

/** A new tenant and a verified user in it with `password`; returns {email, password, userId, tenantId}. */
async function createUser(password, label = 'user') {
  const tenant = await vendor('POST', '/tenants/resources/tenants/v1', { name: `Browser ${label}` });
  assert.ok(tenant.status === 200 || tenant.status === 201, `create tenant: ${tenant.status} ${tenant.text}`);
  const tenantId = tenant.body.tenantId;
  const email = `browser-${label}-${crypto.randomUUID().slice(0, 8)}@example.com`;
  const user = await vendor('POST', '/identity/resources/vendor-only/users/v1', {
    email,
    password,
    name: `Browser ${label}`,
    tenantId,
  });
  assert.ok(user.status === 200 || user.status === 201, `create user: ${user.status} ${user.text}`);
  return { email, password, userId: user.body.id, tenantId };
}

/** Sets fields of the environment's configuration (authStrategy, ...); returns the previous values. */
async function setVendorConfig(fields) {
  const before = await vendor('GET', '/identity/resources/configurations/v1');
  assert.equal(before.status, 200, `get configurations: ${before.text}`);
  const res = await vendor('POST', '/identity/resources/configurations/v1', fields);
  assert.ok(res.status === 200 || res.status === 201, `set configurations: ${res.status} ${res.text}`);
  return Object.fromEntries(Object.keys(fields).map((k) => [k, before.body[k]]));
}

/** Waits for an email to `to` newer than `since` (ms) whose subject matches; returns it. */
async function waitForEmail(to, since, subject, timeoutMs = 10000) {
  const deadline = Date.now() + timeoutMs;
  let last;
  for (;;) {
    last = await vendor('GET', `/yolk/v1/outbox?to=${encodeURIComponent(to)}`);
    assert.equal(last.status, 200, `outbox: ${last.text}`);
    const item = last.body.items.find(
      (m) => m.channel !== 'sms' && subject.test(m.subject) && Date.parse(m.createdAt) >= since - 1000,
    );
    if (item) return item;
    if (Date.now() > deadline) {
      assert.fail(`no email to ${to} matching ${subject} in ${timeoutMs} ms; outbox: ${last.text}`);
    }
    await sleep(100);
  }
}

/** The first URL in `text` whose path is `path`. */
function linkIn(text, path) {
  const urls = text.match(/https?:\/\/[^\s"'<>]+/g) || [];
  const found = urls.map((u) => new URL(u)).find((u) => u.pathname === path);
  assert.ok(found, `no link to ${path} in: ${text}`);
  return found;
}

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

// ---------------------------------------------------------------------------------------------------------------
// RFC 6238 TOTP (SHA-1, 6 digits, 30 s steps), independent of yolk's, and the key an authenticator app reads from
// a QR code: for the MFA case.

function base32Decode(s) {
  const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';
  let bits = '';
  for (const c of s.replace(/=+$/, '').replace(/\s+/g, '').toUpperCase()) {
    const v = alphabet.indexOf(c);
    if (v < 0) throw new Error(`not base32: ${c}`);
    bits += v.toString(2).padStart(5, '0');
  }
  const bytes = [];
  for (let i = 0; i + 8 <= bits.length; i += 8) bytes.push(parseInt(bits.slice(i, i + 8), 2));
  return Buffer.from(bytes);
}

function totp(secretBase32, timeMs = Date.now(), { step = 30, digits = 6, algorithm = 'sha1' } = {}) {
  const counter = Buffer.alloc(8);
  counter.writeBigUInt64BE(BigInt(Math.floor(timeMs / 1000 / step)));
  const mac = crypto.createHmac(algorithm, base32Decode(secretBase32)).update(counter).digest();
  const offset = mac[mac.length - 1] & 0x0f;
  const code = (mac.readUInt32BE(offset) & 0x7fffffff) % 10 ** digits;
  return String(code).padStart(digits, '0');
}

/**
 * The otpauth:// URL inside a QR code given as a `data:image/png;base64,...` URL, read the way an authenticator
 * app reads it (pngjs decodes the PNG, jsQR the code), and its base32 `secret`.
 */
function readTotpQr(dataUrl) {
  const { PNG } = require('pngjs');
  const jsQR = require('jsqr');
  const prefix = 'data:image/png;base64,';
  assert.ok(typeof dataUrl === 'string' && dataUrl.startsWith(prefix), `a PNG data URL: ${String(dataUrl).slice(0, 40)}`);
  const png = PNG.sync.read(Buffer.from(dataUrl.slice(prefix.length), 'base64'));
  const qr = jsQR(new Uint8ClampedArray(png.data.buffer, png.data.byteOffset, png.data.length), png.width, png.height);
  assert.ok(qr, 'a readable QR code in the PNG');
  const url = new URL(qr.data);
  assert.equal(url.protocol, 'otpauth:', `an otpauth URL: ${qr.data}`);
  assert.equal(url.host, 'totp', `a TOTP key: ${qr.data}`);
  const secret = url.searchParams.get('secret');
  assert.match(secret || '', /^[A-Z2-7]+=*$/i, `a base32 secret: ${qr.data}`);
  return { url: qr.data, secret };
}

// ---------------------------------------------------------------------------------------------------------------
// The browser.

async function launch() {
  const puppeteer = require('puppeteer-core');
  return puppeteer.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: ['--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage', '--no-first-run'],
  });
}

/**
 * A new page in its own browser context (own cookies and storage), yolk's URL set before any page script, and
 * a log of every request it makes: {method, url, path (yolk's, without the /frontegg prefix), headers,
 * postData, status, failure}.
 */
async function newPage(browser) {
  const context = await browser.createBrowserContext();
  const page = await context.newPage();
  page.setDefaultTimeout(10000);
  await page.evaluateOnNewDocument((url) => {
    window.YOLK_URL = url;
  }, YOLK);
  const log = [];
  const byRequest = new Map();
  page.on('request', (req) => {
    const url = new URL(req.url());
    const entry = {
      method: req.method(),
      url: req.url(),
      yolk: url.origin === YOLK,
      path: url.origin === YOLK ? url.pathname.replace(/^\/frontegg(?=\/)/, '') : url.pathname,
      query: url.search,
      headers: req.headers(),
      postData: req.postData(),
      status: null,
      failure: null,
    };
    byRequest.set(req, entry);
    log.push(entry);
  });
  page.on('response', (res) => {
    const entry = byRequest.get(res.request());
    if (entry) entry.status = res.status();
  });
  page.on('requestfailed', (req) => {
    const entry = byRequest.get(req);
    if (entry) entry.failure = (req.failure() && req.failure().errorText) || 'failed';
  });
  const consoleErrors = [];
  page.on('pageerror', (e) => consoleErrors.push(`pageerror: ${e.message}`));
  page.on('console', (m) => {
    if (m.type() === 'error') consoleErrors.push(m.text());
  });
  return { context, page, log, consoleErrors, close: () => context.close() };
}

/** What the page shows: the app's status line and the login box's screen, error and info lines. */
async function view(page) {
  return page.evaluate(() => {
    const host = document.querySelector('[id^="frontegg-login-box-container-"]');
    const box = host && host.shadowRoot && host.shadowRoot.getElementById('yolk-login-box');
    const text = (id) => {
      const el = box && box.querySelector(`#${id}`);
      return el ? el.textContent : null;
    };
    const status = document.getElementById('app-status');
    return {
      status: status ? status.textContent : null,
      screen: box ? box.getAttribute('data-screen') : null,
      error: text('box-error'),
      info: text('box-info'),
    };
  });
}

/** Polls what the page shows until `pred(view)` holds; fails with the last view and `what`. */
async function until(page, pred, what, timeoutMs = 10000) {
  const deadline = Date.now() + timeoutMs;
  let last;
  for (;;) {
    last = await view(page);
    if (pred(last)) return last;
    if (Date.now() > deadline) assert.fail(`timed out waiting for ${what}; the page shows ${JSON.stringify(last)}`);
    await sleep(50);
  }
}

/** The requests to yolk, as "METHOD /path status" lines (for messages). */
function summary(log) {
  return log
    .filter((e) => e.yolk)
    .map((e) => `${e.method} ${e.path}${e.query} → ${e.failure || e.status}`)
    .join('\n  ');
}

/** Asserts no request failed and none was answered ≥ 500. */
function assertNoFailures(log) {
  const bad = log.filter((e) => e.failure || (e.status !== null && e.status >= 500));
  assert.deepEqual(
    bad.map((e) => `${e.method} ${e.url} → ${e.failure || e.status}`),
    [],
    `failed requests; all yolk requests:\n  ${summary(log)}`,
  );
}

/** The logged calls to yolk with this method and path (without /frontegg). */
function calls(log, method, path) {
  return log.filter((e) => e.yolk && e.method === method && e.path === path);
}

/** Fills the login-box input `id` (inside its shadow root). */
async function fill(page, id, value) {
  const input = await page.waitForSelector(`pierce/#${id}`);
  await input.click({ clickCount: 3 });
  await input.type(value);
}

async function click(page, id) {
  const el = await page.waitForSelector(`pierce/#${id}`);
  await el.click();
}

/**
 * Resolves with the response to the page's next `METHOD …path` call to yolk (not its CORS preflight, which
 * puppeteer also reports).
 */
function waitForCall(page, method, path) {
  return page.waitForResponse((r) => {
    const url = new URL(r.url());
    return r.request().method() === method && url.origin === YOLK && url.pathname.endsWith(path);
  });
}

/** The whole login-form path: fill email and password, submit, and wait for the login response. */
async function submitLogin(page, email, password) {
  await until(page, (v) => v.screen === 'login', 'the login form');
  await fill(page, 'login-email', email);
  await fill(page, 'login-password', password);
  const response = waitForCall(page, 'POST', '/identity/resources/auth/v1/user');
  await click(page, 'login-submit');
  return response;
}

module.exports = {
  YOLK,
  PAGE,
  api,
  vendor,
  createUser,
  setVendorConfig,
  waitForEmail,
  linkIn,
  sleep,
  totp,
  readTotpQr,
  launch,
  newPage,
  view,
  until,
  summary,
  assertNoFailures,
  calls,
  fill,
  click,
  submitLogin,
  waitForCall,
};
