//! The identity provider's public keys: a PEM file, or a JWKS read from a file or fetched
//! from a URL.
//!
//! Only RS256 (RSA keys) and EdDSA (Ed25519 keys) are accepted from an identity provider;
//! every key is bound to its one algorithm, so a token cannot pick how its key is used (an
//! HS256 token "signed" with the RSA public key finds no key for HS256).
//!
//! A fetched JWKS is cached. It is fetched again when it is older than its maximum age, or when
//! a token names a key id it does not hold (the provider rotated its keys), but never more
//! than once per cooldown, so a stream of tokens with made-up key ids cannot make the service
//! hammer the provider. A fetch has a timeout and a size cap, and a failed fetch keeps the
//! keys already held.

use std::path::PathBuf;
use std::sync::{Arc, RwLock};
use std::time::{Duration, Instant};

use anyhow::Context;
use jsonwebtoken::jwk::{AlgorithmParameters, EllipticCurve, JwkSet, KeyAlgorithm, PublicKeyUse};
use jsonwebtoken::{Algorithm, DecodingKey};

use crate::config::Config;

/// One verification key, bound to the one algorithm it verifies.
#[derive(Clone)]
pub struct IdpKey {
    pub kid: Option<String>,
    pub algorithm: Algorithm,
    pub key: DecodingKey,
}

/// Why no key was found for a token.
#[derive(Debug, thiserror::Error)]
pub enum KeyError {
    #[error("no key of the identity provider has key id `{0}` for this algorithm")]
    UnknownKid(String),
    #[error(
        "the token names no key id and the identity provider has several keys for this algorithm"
    )]
    Ambiguous,
    #[error("the identity provider has no key for this algorithm")]
    NoKey,
}

pub enum IdpKeys {
    Static(Vec<IdpKey>),
    Jwks(Jwks),
}

impl IdpKeys {
    /// The configured source, if any: the PEM file, or the JWKS (its first fetch happens here).
    pub async fn from_config(config: &Config) -> anyhow::Result<Option<Self>> {
        match (&config.jwt_public_key, &config.jwks) {
            (Some(_), Some(_)) => {
                anyhow::bail!("set either SHOUTOUT_JWT_PUBLIC_KEY or SHOUTOUT_JWKS, not both")
            }
            (Some(path), None) => {
                let pem = std::fs::read(path).with_context(|| {
                    format!("reading SHOUTOUT_JWT_PUBLIC_KEY {}", path.display())
                })?;
                Ok(Some(Self::Static(vec![key_from_pem(&pem).with_context(
                    || format!("SHOUTOUT_JWT_PUBLIC_KEY {}", path.display()),
                )?])))
            }
            (None, Some(location)) => Ok(Some(Self::Jwks(Jwks::start(config, location).await?))),
            (None, None) => Ok(None),
        }
    }

    /// The key for a token's algorithm and key id.
    pub async fn key_for(
        &self,
        algorithm: Algorithm,
        kid: Option<&str>,
    ) -> Result<IdpKey, KeyError> {
        match self {
            Self::Static(keys) => pick(keys, algorithm, kid),
            Self::Jwks(jwks) => jwks.key_for(algorithm, kid).await,
        }
    }
}

/// A PEM public key: RSA (for RS256) or Ed25519 (for EdDSA).
fn key_from_pem(pem: &[u8]) -> anyhow::Result<IdpKey> {
    if let Ok(key) = DecodingKey::from_rsa_pem(pem) {
        return Ok(IdpKey {
            kid: None,
            algorithm: Algorithm::RS256,
            key,
        });
    }
    if let Ok(key) = DecodingKey::from_ed_pem(pem) {
        return Ok(IdpKey {
            kid: None,
            algorithm: Algorithm::EdDSA,
            key,
        });
    }
    anyhow::bail!("not a PEM RSA or Ed25519 public key")
}

fn pick(keys: &[IdpKey], algorithm: Algorithm, kid: Option<&str>) -> Result<IdpKey, KeyError> {
    let mut candidates = keys.iter().filter(|k| k.algorithm == algorithm);
    match kid {
        // A key file has no key ids: its one key verifies whatever kid a token names.
        Some(kid) => keys
            .iter()
            .find(|k| k.algorithm == algorithm && k.kid.as_deref() == Some(kid))
            .or_else(|| {
                keys.iter()
                    .find(|k| k.algorithm == algorithm && k.kid.is_none())
            })
            .cloned()
            .ok_or_else(|| KeyError::UnknownKid(kid.to_owned())),
        None => match (candidates.next(), candidates.next()) {
            (Some(key), None) => Ok(key.clone()),
            (Some(_), Some(_)) => Err(KeyError::Ambiguous),
            (None, _) => Err(KeyError::NoKey),
        },
    }
}

/// The keys of a JWKS document that Shoutout can use: RSA and Ed25519 signing keys. Others
/// (HMAC secrets, EC keys, encryption keys) are left out, so they can never verify a token.
pub fn keys_from_jwks(document: &[u8]) -> anyhow::Result<Vec<IdpKey>> {
    let set: JwkSet = serde_json::from_slice(document).context("not a JWKS document")?;
    let mut keys = Vec::new();
    for jwk in &set.keys {
        if matches!(jwk.common.public_key_use, Some(PublicKeyUse::Encryption)) {
            continue;
        }
        let algorithm = match (&jwk.algorithm, jwk.common.key_algorithm) {
            (AlgorithmParameters::RSA(_), None | Some(KeyAlgorithm::RS256)) => Algorithm::RS256,
            (AlgorithmParameters::OctetKeyPair(p), None | Some(KeyAlgorithm::EdDSA))
                if p.curve == EllipticCurve::Ed25519 =>
            {
                Algorithm::EdDSA
            }
            _ => continue,
        };
        let Ok(key) = DecodingKey::from_jwk(jwk) else {
            continue;
        };
        keys.push(IdpKey {
            kid: jwk.common.key_id.clone(),
            algorithm,
            key,
        });
    }
    anyhow::ensure!(
        !keys.is_empty(),
        "the JWKS has no RS256 or EdDSA signing key"
    );
    Ok(keys)
}

#[derive(Debug, Clone)]
enum Location {
    File(PathBuf),
    Url(String),
}

/// What a JWKS source holds now.
struct Held {
    keys: Arc<Vec<IdpKey>>,
    fetched_at: Option<Instant>,
    attempted_at: Option<Instant>,
}

pub struct Jwks {
    location: Location,
    client: reqwest::Client,
    max_bytes: usize,
    max_age: Duration,
    cooldown: Duration,
    held: RwLock<Held>,
    // One fetch at a time; tokens that arrive meanwhile wait for its result.
    fetching: tokio::sync::Mutex<()>,
}

impl Jwks {
    async fn start(config: &Config, location: &str) -> anyhow::Result<Self> {
        let location = match crate::config::jwks_url(location) {
            Some(_) => Location::Url(location.to_owned()),
            None => Location::File(PathBuf::from(location)),
        };
        let timeout = Duration::from_millis(config.jwks_timeout_ms);
        let jwks = Self {
            location,
            client: reqwest::Client::builder()
                .timeout(timeout)
                .connect_timeout(timeout)
                .redirect(reqwest::redirect::Policy::none())
                .build()
                .context("building the JWKS client")?,
            max_bytes: config.jwks_max_bytes,
            max_age: Duration::from_secs(config.jwks_max_age_secs),
            cooldown: Duration::from_secs(config.jwks_cooldown_secs),
            held: RwLock::new(Held {
                keys: Arc::new(Vec::new()),
                fetched_at: None,
                attempted_at: None,
            }),
            fetching: tokio::sync::Mutex::new(()),
        };
        match (&jwks.location, jwks.refresh().await) {
            (_, Ok(())) => {}
            // A file is configuration: a bad one stops the start.
            (Location::File(path), Err(e)) => {
                return Err(e.context(format!("SHOUTOUT_JWKS {}", path.display())));
            }
            // The provider may be briefly away; tokens are refused until a fetch succeeds.
            (Location::Url(url), Err(e)) => {
                tracing::warn!(%url, error = %format!("{e:#}"), "the JWKS could not be fetched; will retry");
            }
        }
        Ok(jwks)
    }

    fn held(&self) -> (Arc<Vec<IdpKey>>, bool, bool) {
        let held = self.held.read().expect("JWKS lock");
        let now = Instant::now();
        let stale = held.fetched_at.is_none_or(|at| now - at >= self.max_age);
        let may_fetch = held.attempted_at.is_none_or(|at| now - at >= self.cooldown);
        (held.keys.clone(), stale, may_fetch)
    }

    async fn key_for(&self, algorithm: Algorithm, kid: Option<&str>) -> Result<IdpKey, KeyError> {
        let (keys, stale, may_fetch) = self.held();
        let found = pick(&keys, algorithm, kid);
        if (found.is_ok() && !stale) || !may_fetch {
            return found;
        }
        // Unknown key id, or keys past their age: fetch once (others wait for that fetch).
        let _fetching = self.fetching.lock().await;
        let (_, _, may_fetch) = self.held();
        if may_fetch && let Err(e) = self.refresh().await {
            tracing::warn!(error = %format!("{e:#}"), "refreshing the JWKS failed; keeping the keys held");
        }
        let (keys, _, _) = self.held();
        pick(&keys, algorithm, kid)
    }

    async fn refresh(&self) -> anyhow::Result<()> {
        self.held.write().expect("JWKS lock").attempted_at = Some(Instant::now());
        let document = match &self.location {
            Location::File(path) => tokio::fs::read(path)
                .await
                .with_context(|| format!("reading {}", path.display()))?,
            Location::Url(url) => self.fetch(url).await?,
        };
        anyhow::ensure!(
            document.len() <= self.max_bytes,
            "the JWKS is larger than {} bytes",
            self.max_bytes
        );
        let keys = keys_from_jwks(&document)?;
        let mut held = self.held.write().expect("JWKS lock");
        held.keys = Arc::new(keys);
        held.fetched_at = Some(Instant::now());
        Ok(())
    }

    /// GET with the client's timeout, reading no more than the size cap.
    async fn fetch(&self, url: &str) -> anyhow::Result<Vec<u8>> {
        let mut response = self
            .client
            .get(url)
            .header("accept", "application/json")
            .send()
            .await
            .with_context(|| format!("fetching {url}"))?;
        anyhow::ensure!(
            response.status().is_success(),
            "{url} answered {}",
            response.status()
        );
        if response
            .content_length()
            .is_some_and(|n| n > self.max_bytes as u64)
        {
            anyhow::bail!("the JWKS at {url} is larger than {} bytes", self.max_bytes);
        }
        let mut body = Vec::new();
        while let Some(chunk) = response
            .chunk()
            .await
            .with_context(|| format!("reading {url}"))?
        {
            anyhow::ensure!(
                body.len() + chunk.len() <= self.max_bytes,
                "the JWKS at {url} is larger than {} bytes",
                self.max_bytes
            );
            body.extend_from_slice(&chunk);
        }
        Ok(body)
    }
}
