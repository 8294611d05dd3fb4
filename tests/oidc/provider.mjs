// A real OpenID Connect provider (npm `oidc-provider`, pinned in package-lock.json) on loopback
// for Worklife's sign-in tests; tests/src/oidc.rs starts and steers it.
//
//   OIDC_STATE=/path/state.json PORT=0 node tests/oidc/provider.mjs
//
// Prints one line `ready http://127.0.0.1:<port>` on stdout once listening; that URL is the
// issuer. The JSON state file is read again whenever it matters (accounts, who signs in next,
// the ID token's lifetime and audience), so a test can change it between sign-ins:
//   { "client_id", "client_secret", "accounts": { "<sub>": { <claims> } },
//     "next_login": "<sub>" | null, "id_token_ttl": <seconds>, "id_token_audience": null | "<aud>" }
import { generateKeyPairSync } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createServer } from 'node:http';

// oidc-provider prints development notices (quick-start adapter, default renderers, "Use Node.js
// v22") with console.info/console.warn, the former on stdout where only the ready line belongs.
// Drop those notices; anything else goes to stderr.
const quiet = (...args) => {
  if (typeof args[0] === 'string' && args[0].startsWith('oidc-provider ')) return;
  console.error(...args);
};
console.info = quiet;
console.warn = quiet;
console.log = quiet;

const { default: Provider, interactionPolicy } = await import('oidc-provider');

const statePath = process.env.OIDC_STATE;
if (!statePath) {
  console.error('provider.mjs: OIDC_STATE (the JSON state file) is not set');
  process.exit(2);
}
const readState = () => JSON.parse(readFileSync(statePath, 'utf8'));
const initial = readState();

const LOOPBACK = 'http://127.0.0.1:';
// Claims oidc-provider knows per scope; every other account field is added to the ID token
// by the IdToken.issue wrapper below.
const SCOPE_CLAIMS = {
  openid: ['sub'],
  email: ['email', 'email_verified'],
  profile: ['name', 'groups', 'worklife_unit'],
};
const MAPPED = new Set(Object.values(SCOPE_CLAIMS).flat());

const html = (s) => String(s).replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

function page(title, body) {
  return `<!DOCTYPE html>
<html lang="en">
<head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>${html(title)} - test identity provider</title></head>
<body><main><h1>${html(title)}</h1>
${body}
</main></body>
</html>`;
}

function loginPage(uid, error) {
  const err = error ? `<p id="error" role="alert">${html(error)}</p>\n` : '';
  return page('Sign in', `${err}<form method="post" action="/interaction/${html(uid)}/login">
<label for="login">User name</label>
<input id="login" name="login" type="text" autocomplete="username" required autofocus${error ? ' aria-describedby="error"' : ''}>
<button id="sign-in" type="submit">Sign in</button>
</form>`);
}

async function findAccount(ctx, sub) {
  const account = readState().accounts?.[sub];
  if (!account) return undefined;
  return {
    accountId: sub,
    async claims() {
      return { ...account, sub };
    },
  };
}

// The login prompt also asks again when the session's account is not `next_login`, so a
// test can switch accounts between sign-ins with the same cookie jar / browser.
const policy = interactionPolicy.base();
policy.get('login').checks.add(new interactionPolicy.Check(
  'next_login_differs',
  'the test asks for another account',
  (ctx) => {
    const next = readState().next_login;
    const current = ctx.oidc.session.accountId;
    return next && current && current !== next
      ? interactionPolicy.Check.REQUEST_PROMPT
      : interactionPolicy.Check.NO_NEED_TO_PROMPT;
  },
));

const server = createServer();
await new Promise((resolve, reject) => {
  server.once('error', reject);
  server.listen(Number(process.env.PORT || 0), '127.0.0.1', resolve);
});
const issuer = `${LOOPBACK}${server.address().port}`;

const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
const signingKey = { ...privateKey.export({ format: 'jwk' }), kid: 'test-rs256', alg: 'RS256', use: 'sig' };

const provider = new Provider(issuer, {
  clients: [{
    client_id: initial.client_id,
    client_secret: initial.client_secret,
    token_endpoint_auth_method: 'client_secret_basic',
    response_types: ['code'],
    grant_types: ['authorization_code'],
    redirect_uris: [`${LOOPBACK}1/cb`],
    post_logout_redirect_uris: [`${LOOPBACK}1/`],
    id_token_signed_response_alg: 'RS256',
  }],
  jwks: { keys: [signingKey] },
  cookies: { keys: ['worklife-oidc-test-cookie-key'] },
  findAccount,
  claims: SCOPE_CLAIMS,
  conformIdTokenClaims: false,
  pkce: { required: () => true },
  ttl: {
    IdToken: () => Number(readState().id_token_ttl ?? 3600),
  },
  interactions: {
    policy,
    url: (ctx, interaction) => `/interaction/${interaction.uid}`,
  },
  features: {
    devInteractions: { enabled: false },
    rpInitiatedLogout: {
      enabled: true,
      // No confirmation: the form posts itself (a button stays for a browser without script).
      async logoutSource(ctx, form) {
        ctx.body = page('Signing out', `${form.replace('</form>', '<input type="hidden" name="logout" value="yes"></form>')}
<button type="submit" form="op.logoutForm">Sign out</button>
<script>document.getElementById('op.logoutForm').submit()</script>`);
      },
      async postLogoutSuccessSource(ctx) {
        ctx.body = page('Signed out', '<p>You are signed out.</p>');
      },
    },
  },
  async renderError(ctx, out) {
    ctx.type = 'html';
    ctx.body = page('Error', Object.entries(out)
      .map(([k, v]) => `<p><strong>${html(k)}</strong>: ${html(v)}</p>`).join('\n'));
  },
});

// Any redirect URI on loopback: the app's port is only known once it runs.
provider.Client.prototype.redirectUriAllowed = (uri) => typeof uri === 'string' && uri.startsWith(LOOPBACK);
provider.Client.prototype.postLogoutRedirectUriAllowed = provider.Client.prototype.redirectUriAllowed;

// ID tokens: every account field (not only the scope-mapped ones), and the audience knob.
const issue = provider.IdToken.prototype.issue;
provider.IdToken.prototype.issue = async function issueWithKnobs(options = {}) {
  if (options.use !== 'idtoken') return issue.call(this, options);
  for (const [key, value] of Object.entries(this.available)) {
    if (!MAPPED.has(key) && !['acr', 'amr', 'auth_time'].includes(key)) this.set(key, value);
  }
  const aud = readState().id_token_audience;
  if (typeof aud === 'string') {
    // issue() signs with `audience: client.clientId`; a view of the client with another id.
    const client = this.client;
    this.client = Object.create(client, { clientId: { value: aud } });
    try {
      return await issue.call(this, options);
    } finally {
      this.client = client;
    }
  }
  return issue.call(this, options);
};

async function readForm(req) {
  const chunks = [];
  for await (const chunk of req) chunks.push(chunk);
  return new URLSearchParams(Buffer.concat(chunks).toString('utf8'));
}

// Signs in as `accountId` and grants what the client asked for, in one step.
async function finish(ctx, details, accountId) {
  const { params } = details;
  if (details.session?.accountId && details.session.accountId !== accountId) {
    // Another account than the session's: end that session here. Otherwise oidc-provider
    // first answers with a self-submitting logout form, which only a browser gets through.
    await (await provider.Session.findByUid(details.session.uid))?.destroy();
    delete details.session;
    await details.save(details.exp - Math.floor(Date.now() / 1000));
  }
  const grant = new provider.Grant({ accountId, clientId: params.client_id });
  grant.addOIDCScope(params.scope);
  if (params.claims) {
    const claims = JSON.parse(params.claims);
    grant.addOIDCClaims([...Object.keys(claims.id_token || {}), ...Object.keys(claims.userinfo || {})]);
  }
  const grantId = await grant.save();
  const to = await provider.interactionResult(ctx.req, ctx.res, {
    login: { accountId },
    consent: { grantId },
  }, { mergeWithLastSubmission: false });
  ctx.status = 303;
  ctx.redirect(to);
}

provider.use(async (ctx, next) => {
  const m = ctx.path.match(/^\/interaction\/([\w-]+)(\/login)?$/);
  if (!m) return next();
  ctx.set('cache-control', 'no-store');
  const details = await provider.interactionDetails(ctx.req, ctx.res);
  if (details.uid !== m[1]) ctx.throw(400, 'interaction mismatch');
  const accounts = readState().accounts || {};
  if (!m[2] && ctx.method === 'GET') {
    const next = readState().next_login;
    if (next) {
      if (!accounts[next]) ctx.throw(500, `next_login ${next} is not in accounts`);
      return finish(ctx, details, next);
    }
    ctx.type = 'html';
    ctx.body = loginPage(details.uid);
    return undefined;
  }
  if (m[2] && ctx.method === 'POST') {
    const login = ((await readForm(ctx.req)).get('login') || '').trim();
    if (!accounts[login]) {
      ctx.status = 200;
      ctx.type = 'html';
      ctx.body = loginPage(details.uid, `No account "${login}".`);
      return undefined;
    }
    return finish(ctx, details, login);
  }
  return ctx.throw(405);
});

provider.on('server_error', (ctx, err) => console.error(`server_error ${ctx.method} ${ctx.path}: ${err.message}`));
for (const event of ['authorization.error', 'grant.error', 'end_session.error', 'userinfo.error', 'discovery.error']) {
  provider.on(event, (ctx, err) => console.error(`${event}: ${err.error || err.name}: ${err.error_description || err.message}`));
}

server.on('request', provider.callback());
process.stdout.write(`ready ${issuer}\n`);
for (const sig of ['SIGTERM', 'SIGINT']) process.on(sig, () => process.exit(0));
