// A real OpenID provider for the console's tests: `oidc-provider` (npm), configured here.
//
// It listens on a free loopback port and prints `{"issuer": ...}` on one line; then it reads
// one line of JSON on stdin, `{"redirect_uri": ..., "client_id": ..., "client_secret": ...,
// "accounts": {"<sub>": {"name": ..., "email": ..., "roles": [...]}}}`, and from then on
// answers as that provider: discovery, keys, authorization (PKCE required), token endpoint.
// Its sign-in page asks for an account id (no password: the accounts are the test's); consent
// is granted without a page. It stops when stdin closes.
import http from "node:http";
import readline from "node:readline";
import Provider from "oidc-provider";

let handler = (req, res) => {
  res.statusCode = 503;
  res.end("not configured yet");
};
const server = http.createServer((req, res) => handler(req, res));
await new Promise((resolve) => server.listen(0, "127.0.0.1", resolve));
const issuer = `http://127.0.0.1:${server.address().port}`;
process.stdout.write(JSON.stringify({ issuer }) + "\n");

const lines = readline.createInterface({ input: process.stdin });
const first = await new Promise((resolve) => lines.once("line", resolve));
lines.on("close", () => process.exit(0));
const settings = JSON.parse(first);

const escape = (s) =>
  String(s).replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

const provider = new Provider(issuer, {
  clients: [
    {
      client_id: settings.client_id,
      client_secret: settings.client_secret,
      redirect_uris: [settings.redirect_uri],
      grant_types: ["authorization_code"],
      response_types: ["code"],
      token_endpoint_auth_method: "client_secret_basic",
    },
  ],
  // Every client must send a PKCE challenge (S256), not only public ones.
  pkce: { required: () => true },
  cookies: { keys: ["console-test-cookie-key"] },
  claims: { openid: ["sub"], profile: ["name", "roles"], email: ["email"] },
  // The scopes' claims go into the ID token itself, where the console reads `roles`.
  conformIdTokenClaims: false,
  features: { devInteractions: { enabled: false } },
  interactions: { url: (_ctx, interaction) => `/interaction/${interaction.uid}` },
  async findAccount(_ctx, sub) {
    const account = settings.accounts[sub];
    if (!account) {
      return undefined;
    }
    return {
      accountId: sub,
      async claims() {
        return { sub, ...account };
      },
    };
  },
});
provider.proxy = false;

async function readForm(req) {
  let body = "";
  for await (const chunk of req) {
    body += chunk;
  }
  return new URLSearchParams(body);
}

async function interaction(req, res) {
  const details = await provider.interactionDetails(req, res);
  const { uid, prompt, params, session } = details;
  if (prompt.name === "login") {
    if (req.method === "POST") {
      const form = await readForm(req);
      const login = form.get("login") || "";
      if (!settings.accounts[login]) {
        res.statusCode = 200;
        res.setHeader("content-type", "text/html; charset=utf-8");
        res.end(page(uid, `No account "${escape(login)}".`));
        return;
      }
      await provider.interactionFinished(req, res, { login: { accountId: login } }, {
        mergeWithLastSubmission: false,
      });
      return;
    }
    res.setHeader("content-type", "text/html; charset=utf-8");
    res.end(page(uid, ""));
    return;
  }
  // Consent: granted for what the client asked, without a page.
  const grant = new provider.Grant({ accountId: session.accountId, clientId: params.client_id });
  grant.addOIDCScope(String(params.scope));
  const grantId = await grant.save();
  await provider.interactionFinished(req, res, { consent: { grantId } }, {
    mergeWithLastSubmission: true,
  });
}

function page(uid, error) {
  return `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Test identity provider</title></head>
<body><main><h1>Test identity provider</h1>${error ? `<p role="alert">${error}</p>` : ""}
<form method="post" action="/interaction/${uid}">
<label for="login">Account</label> <input id="login" name="login" autofocus>
<button type="submit">Sign in</button></form></main></body></html>`;
}

const callback = provider.callback();
handler = (req, res) => {
  if (req.url.startsWith("/interaction/")) {
    interaction(req, res).catch((error) => {
      res.statusCode = 500;
      res.end(String(error));
    });
    return;
  }
  callback(req, res);
};
process.stdout.write(JSON.stringify({ ready: true }) + "\n");
