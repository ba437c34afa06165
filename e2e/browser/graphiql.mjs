// Drives carecoord's GraphiQL page in headless Chromium, as a user would:
//
//   node graphiql.mjs <chromium> <page-url> <query-token> <subscription-token>
//
// Chromium resolves no host name but the page's (as with no internet
// connection). The script waits for GraphiQL to render with the default
// query and the token placeholder in the headers editor, pastes
// <query-token> into the headers, runs the default query, then runs
// `subscription { fallsQueueChanged { id status } }` with
// <subscription-token> and waits for its first event. It prints one JSON
// line per step on stdout ({"step": "query" | "subscribed" | "event" |
// "done", ...}): the test reports falls once it reads "subscribed". "done"
// lists what the page asked of other origins, its console errors, Content
// Security Policy violations and failed requests. Any failure exits 1 with
// the reason on stderr. e2e/graphiql_test.go runs it (make e2e-browser).
import puppeteer from 'puppeteer-core';

const [chromium, pageURL, queryToken, subscriptionToken] = process.argv.slice(2);
if (!chromium || !pageURL || !queryToken || !subscriptionToken) {
  console.error('usage: node graphiql.mjs <chromium> <page-url> <query-token> <subscription-token>');
  process.exit(2);
}
const origin = new URL(pageURL).origin;
const step = (name, fields) => process.stdout.write(JSON.stringify({ step: name, ...fields }) + '\n');

const timer = setTimeout(() => {
  console.error('timed out');
  process.exit(1);
}, 90_000);

const args = [
  '--disable-dev-shm-usage',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  `--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE ${new URL(pageURL).hostname}`,
];
if (process.getuid && process.getuid() === 0) {
  args.push('--no-sandbox'); // Chromium's sandbox refuses to run as root
}
const browser = await puppeteer.launch({ executablePath: chromium, headless: true, args });

try {
  const page = await browser.newPage();
  const offOrigin = [];
  const failed = [];
  const consoleErrors = [];
  await page.setRequestInterception(true);
  page.on('request', (req) => {
    const u = req.url();
    if (u.startsWith('data:') || u.startsWith(origin + '/')) {
      req.continue();
      return;
    }
    offOrigin.push(u);
    req.abort();
  });
  page.on('response', (res) => {
    if (res.status() >= 400 && !res.url().endsWith('/favicon.ico')) {
      failed.push(`${res.status()} ${res.url()}`);
    }
  });
  page.on('requestfailed', (req) => {
    if (!offOrigin.includes(req.url())) failed.push(`${req.failure()?.errorText} ${req.url()}`);
  });
  page.on('console', (msg) => {
    if (msg.type() === 'error') consoleErrors.push(msg.text());
  });
  page.on('pageerror', (err) => consoleErrors.push(String(err)));
  await page.evaluateOnNewDocument(() => {
    window.__cspViolations = [];
    document.addEventListener('securitypolicyviolation', (e) => {
      window.__cspViolations.push(`${e.violatedDirective} ${e.blockedURI}`);
    });
  });

  // The WebSocket frames the page sends: connection_init must carry the
  // headers editor's Authorization.
  const cdp = await page.createCDPSession();
  await cdp.send('Network.enable');
  const sent = [];
  cdp.on('Network.webSocketFrameSent', (e) => {
    try {
      sent.push(JSON.parse(e.response.payloadData));
    } catch {
      sent.push({ unparsed: e.response.payloadData });
    }
  });

  const res = await page.goto(pageURL, { waitUntil: 'load' });
  if (res.status() !== 200) throw new Error(`GET ${pageURL}: ${res.status()}`);
  await page.waitForSelector('.graphiql-container .graphiql-query-editor .CodeMirror', { timeout: 20_000 });

  // CodeMirror editors by what they hold.
  const editorValue = (sel) => page.$eval(sel, (el) => el.CodeMirror.getValue());
  const setEditor = (sel, v) => page.$eval(sel, (el, v) => el.CodeMirror.setValue(v), v);
  const headersEditor = async () => {
    const idx = await page.$$eval('.graphiql-editor-tool .CodeMirror', (els) =>
      els.findIndex((el) => /Authorization/i.test(el.CodeMirror.getValue())),
    );
    if (idx < 0) throw new Error('no headers editor with an Authorization header');
    return idx;
  };
  const setHeaders = async (v) => {
    const idx = await headersEditor();
    await page.$$eval('.graphiql-editor-tool .CodeMirror', (els, idx, v) => els[idx].CodeMirror.setValue(v), idx, v);
  };

  const query = await editorValue('.graphiql-query-editor .CodeMirror');
  if (!/\bme\s*\{/.test(query)) throw new Error(`the query editor holds ${JSON.stringify(query)}, not the default query`);
  const headers = await page.$$eval('.graphiql-editor-tool .CodeMirror', (els) => els.map((el) => el.CodeMirror.getValue()));
  if (!headers.some((h) => h.includes('<paste a token>'))) {
    throw new Error(`no headers editor holds the token placeholder: ${JSON.stringify(headers)}`);
  }
  step('rendered', { headers: headers.find((h) => h.includes('<paste a token>')) });

  // The response editor's content once it parses as JSON and pred holds.
  const response = async (pred, what) => {
    const deadline = Date.now() + 30_000;
    for (;;) {
      const text = await editorValue('.graphiql-response .CodeMirror').catch(() => '');
      let json;
      try {
        json = JSON.parse(text);
      } catch {
        json = undefined;
      }
      if (json !== undefined && pred(json)) return json;
      if (Date.now() > deadline) throw new Error(`no ${what} in the response pane; it holds ${JSON.stringify(text)}`);
      await new Promise((r) => setTimeout(r, 100));
    }
  };

  // A user pastes a token and runs the default query.
  await setHeaders(JSON.stringify({ Authorization: `Bearer ${queryToken}` }, null, 2));
  await page.click('.graphiql-execute-button');
  const result = await response((j) => j.data || j.errors, 'query result');
  step('query', { result });

  // Then a subscription, with another token.
  await setEditor('.graphiql-query-editor .CodeMirror', 'subscription FallsQueue {\n  fallsQueueChanged {\n    id\n    status\n  }\n}\n');
  await setHeaders(JSON.stringify({ Authorization: `Bearer ${subscriptionToken}` }, null, 2));
  // GraphiQL takes the operation's name from the query a moment after an
  // edit, and shows it as the tab's title: run once it has.
  await page.waitForFunction(
    () => document.querySelector('.graphiql-tab-active')?.textContent.trim() === 'FallsQueue',
    { timeout: 10_000 },
  );
  await page.click('.graphiql-execute-button');
  const deadline = Date.now() + 20_000;
  while (!sent.some((m) => m.type === 'subscribe')) {
    if (Date.now() > deadline) {
      const pane = await editorValue('.graphiql-response .CodeMirror').catch(() => '');
      throw new Error(`no subscribe message over WebSocket (sent ${JSON.stringify(sent)}); the response pane holds ${JSON.stringify(pane)}; console errors ${JSON.stringify(consoleErrors)}; failed requests ${JSON.stringify(failed)}`);
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  const init = sent.find((m) => m.type === 'connection_init');
  step('subscribed', { connectionInit: init ? init.payload : null });
  const event = await response((j) => j.data && j.data.fallsQueueChanged, 'subscription event');
  step('event', { result: event });

  const cspViolations = await page.evaluate(() => window.__cspViolations);
  step('done', { offOrigin, failed, consoleErrors, cspViolations });
  clearTimeout(timer);
} catch (err) {
  console.error('graphiql page:', err instanceof Error ? err.stack : JSON.stringify(err));
  process.exitCode = 1;
} finally {
  clearTimeout(timer);
  await browser.close();
}
