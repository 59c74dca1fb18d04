//! Signing in to the console with the company's identity provider: OpenID Connect's
//! authorization code flow with PKCE (S256), through the `openidconnect` crate.
//!
//! The provider's discovery document (and with it the key set that signs ID tokens) is read on
//! the first sign-in and kept for ten minutes; an ID token that fails on its key is checked once
//! more against a fresh copy, so a key rotation at the provider costs nobody a sign-in. A
//! provider that is down makes sign-in fail with a clear page, never the service.

use std::sync::RwLock;
use std::time::{Duration, Instant};

use anyhow::Context;
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use openidconnect::core::{CoreAuthenticationFlow, CoreClient, CoreProviderMetadata};
use openidconnect::{
    AuthorizationCode, ClientId, ClientSecret, CsrfToken, IssuerUrl, Nonce, PkceCodeChallenge,
    PkceCodeVerifier, RedirectUrl, Scope, TokenResponse,
};
use secrecy::ExposeSecret;

use crate::auth::Role;
use crate::config::Config;

/// How long a discovery document is trusted before it is read again.
const METADATA_MAX_AGE: Duration = Duration::from_secs(600);

/// The console's client at the identity provider.
pub struct Provider {
    issuer: IssuerUrl,
    client_id: ClientId,
    client_secret: Option<ClientSecret>,
    redirect: RedirectUrl,
    http: openidconnect::reqwest::Client,
    metadata: RwLock<Option<(Instant, CoreProviderMetadata)>>,
}

/// What the browser is sent to the provider with, and what must come back.
pub struct Started {
    pub url: url::Url,
    pub state: String,
    pub nonce: String,
    pub pkce_verifier: String,
}

/// Who the provider vouched for.
pub struct Identity {
    pub subject: String,
    pub roles: Vec<Role>,
}

impl Provider {
    pub fn from_config(config: &Config) -> anyhow::Result<Option<Self>> {
        let Some((issuer, client_id, secret)) = config.oidc()? else {
            return Ok(None);
        };
        let redirect = format!("{}/console/callback", config.public_base_url());
        Ok(Some(Self {
            issuer: IssuerUrl::new(issuer.to_owned()).context("SHOUTOUT_OIDC_ISSUER")?,
            client_id: ClientId::new(client_id.to_owned()),
            client_secret: secret.map(|s| ClientSecret::new(s.expose_secret().to_owned())),
            redirect: RedirectUrl::new(redirect).context("the console's callback address")?,
            // The provider's answers are never followed elsewhere: a redirect from the token
            // endpoint would let it point the service at any address.
            http: openidconnect::reqwest::Client::builder()
                .redirect(openidconnect::reqwest::redirect::Policy::none())
                .timeout(Duration::from_secs(10))
                .build()
                .context("building the identity provider's client")?,
            metadata: RwLock::new(None),
        }))
    }

    async fn metadata(&self, fresh: bool) -> anyhow::Result<CoreProviderMetadata> {
        if !fresh
            && let Some((at, metadata)) = self.metadata.read().expect("not poisoned").as_ref()
            && at.elapsed() < METADATA_MAX_AGE
        {
            return Ok(metadata.clone());
        }
        let metadata = CoreProviderMetadata::discover_async(self.issuer.clone(), &self.http)
            .await
            .map_err(|e| {
                anyhow::anyhow!("reading the identity provider's discovery document: {e}")
            })?;
        *self.metadata.write().expect("not poisoned") = Some((Instant::now(), metadata.clone()));
        Ok(metadata)
    }

    fn client(
        &self,
        metadata: CoreProviderMetadata,
    ) -> openidconnect::core::CoreClient<
        openidconnect::EndpointSet,
        openidconnect::EndpointNotSet,
        openidconnect::EndpointNotSet,
        openidconnect::EndpointNotSet,
        openidconnect::EndpointMaybeSet,
        openidconnect::EndpointMaybeSet,
    > {
        CoreClient::from_provider_metadata(
            metadata,
            self.client_id.clone(),
            self.client_secret.clone(),
        )
        .set_redirect_uri(self.redirect.clone())
    }

    /// The provider's authorization address for a new sign-in, with a fresh `state`, `nonce`
    /// and PKCE challenge.
    pub async fn start(&self) -> anyhow::Result<Started> {
        let client = self.client(self.metadata(false).await?);
        let (challenge, verifier) = PkceCodeChallenge::new_random_sha256();
        let (url, state, nonce) = client
            .authorize_url(
                CoreAuthenticationFlow::AuthorizationCode,
                CsrfToken::new_random,
                Nonce::new_random,
            )
            .add_scope(Scope::new("profile".into()))
            .add_scope(Scope::new("email".into()))
            .set_pkce_challenge(challenge)
            .url();
        Ok(Started {
            url,
            state: state.secret().clone(),
            nonce: nonce.secret().clone(),
            pkce_verifier: verifier.secret().clone(),
        })
    }

    /// Trades the code for tokens and checks the ID token: its signature against the
    /// provider's keys, issuer, audience, expiry and `nonce`.
    pub async fn finish(
        &self,
        code: &str,
        verifier: &str,
        nonce: &str,
    ) -> anyhow::Result<Identity> {
        let client = self.client(self.metadata(false).await?);
        let response = client
            .exchange_code(AuthorizationCode::new(code.to_owned()))
            .context("the identity provider has no token endpoint")?
            .set_pkce_verifier(PkceCodeVerifier::new(verifier.to_owned()))
            .request_async(&self.http)
            .await
            .map_err(|e| anyhow::anyhow!("the identity provider refused the code: {e}"))?;
        let id_token = response
            .id_token()
            .context("the identity provider sent no ID token")?;
        let nonce = Nonce::new(nonce.to_owned());
        let subject = match id_token.claims(&client.id_token_verifier(), &nonce) {
            Ok(claims) => claims.subject().as_str().to_owned(),
            Err(first) => {
                // Perhaps the provider rotated its keys since the discovery was read.
                let client = self.client(self.metadata(true).await?);
                id_token
                    .claims(&client.id_token_verifier(), &nonce)
                    .map_err(|_| anyhow::anyhow!("the ID token is not valid: {first}"))?
                    .subject()
                    .as_str()
                    .to_owned()
            }
        };
        anyhow::ensure!(
            !subject.trim().is_empty(),
            "the ID token has an empty `sub`"
        );
        Ok(Identity {
            subject,
            roles: roles_of(&id_token.to_string()),
        })
    }
}

/// The `roles` claim of an ID token whose signature has already been checked, as for bearer
/// tokens; roles Shoutout does not know are ignored.
fn roles_of(jwt: &str) -> Vec<Role> {
    #[derive(serde::Deserialize)]
    struct Roles {
        #[serde(default)]
        roles: Vec<serde_json::Value>,
    }
    jwt.split('.')
        .nth(1)
        .and_then(|payload| URL_SAFE_NO_PAD.decode(payload).ok())
        .and_then(|json| serde_json::from_slice::<Roles>(&json).ok())
        .map(|r| {
            r.roles
                .into_iter()
                .filter_map(|v| serde_json::from_value(v).ok())
                .collect()
        })
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn roles_are_read_from_the_payload_and_unknown_ones_ignored() {
        let payload = URL_SAFE_NO_PAD.encode(br#"{"sub":"ann","roles":["admin","owner",3]}"#);
        assert_eq!(roles_of(&format!("x.{payload}.y")), vec![Role::Admin]);
        assert!(roles_of("not a token").is_empty());
    }
}
