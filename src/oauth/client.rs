//! The client: a profile's endpoints, the run's transport, its secret and the trace's masks, made
//! once per run. It holds the one sequence every exchange with the authorization server follows:
//! read the secret (once per run) and find the endpoint (from the issuer's metadata when the
//! profile does not name it) and check it — the token endpoint after the secret, so that a missing
//! secret fails before any lookup, the others before it; build the typed request, send it with the
//! profile's retries as the grant or the caller allows, and read the answer with every secret of
//! the request scrubbed from whatever the server echoes (SECURITY 38).

use std::cell::{OnceCell, RefCell};
use std::rc::Rc;
use std::time::Duration;

use super::client_auth::ClientAuth;
use super::credential::{ClientKey, Credential, key_signer, read_client_key, secret_signer};
use super::grant::Grant;
use super::request::{Param, TokenRequest, build_request, client_request};
use super::response::{TokenResponse, parse_token_response};
use crate::config::{AuthMethod, Config};
use crate::discovery::{Endpoint, Metadata, MetadataCache};
use crate::error::{Error, Result};
use crate::http::{Resend, Response, RetryPolicy, Trace, Transport, check_url, host_of};
use crate::resolve::Profile;
use crate::secret::{Secret, SecretSource};

/// What a client needs from the run it belongs to: a trace for each exchange (`-v`), where
/// issuer metadata is kept, and the run's workload identity token (DESIGN §11).
pub trait Run: MetadataCache {
    fn trace(&self) -> Trace;
    /// The profile's identity token, obtained once per run (`None` without a source).
    fn identity_token(&self) -> Result<Option<Secret>>;
    /// The profile's DPoP key and the servers' nonces (`None` when it does not use DPoP).
    fn dpop(&self) -> Result<Option<&crate::dpop::Dpop>>;
}

/// A profile's client for one run.
pub struct Client<'a> {
    run: &'a dyn Run,
    profile: &'a Profile,
    transport: &'a Transport,
    secret: &'a ClientSecret,
    /// The profile with its endpoints filled from the issuer's metadata, once looked up: the
    /// run's, so that every client of a run looks the issuer up at most once.
    discovered: &'a Discovered,
}

/// A profile with the endpoints its issuer's metadata gave it, and that metadata (`None` when the
/// profile named every endpoint needed, and nothing was looked up).
#[derive(Debug)]
pub struct Completed {
    pub profile: Profile,
    pub metadata: Option<Metadata>,
}

/// Where a run keeps the profile completed from its issuer's metadata: the latest lookup.
pub type Discovered = RefCell<Option<Rc<Completed>>>;

impl<'a> Client<'a> {
    pub fn new(
        run: &'a dyn Run,
        profile: &'a Profile,
        secret: &'a ClientSecret,
        transport: &'a Transport,
        discovered: &'a Discovered,
    ) -> Client<'a> {
        Client {
            run,
            profile,
            transport,
            secret,
            discovered,
        }
    }

    /// The profile as configured.
    pub fn profile(&self) -> &'a Profile {
        self.profile
    }

    /// The client's secret, read on first use.
    pub fn secret(&self) -> &'a ClientSecret {
        self.secret
    }

    pub fn transport(&self) -> &'a Transport {
        self.transport
    }

    /// The profile with every endpoint in `needed` set: the profile's own, else from its
    /// issuer's metadata (read once per run, then from the cache), and the metadata when it was
    /// read. Fails, naming the key to set, when one is still missing.
    pub fn discover(&self, needed: &[Endpoint]) -> Result<Rc<Completed>> {
        let has_all = |profile: &Profile| needed.iter().all(|e| e.of(profile).is_some());
        if has_all(self.profile) {
            return Ok(Rc::new(Completed {
                profile: self.profile.clone(),
                metadata: None,
            }));
        }
        if let Some(completed) = self.discovered.borrow().as_ref()
            && has_all(&completed.profile)
        {
            return Ok(completed.clone());
        }
        let (profile, metadata) = crate::discovery::complete(
            self.profile,
            needed,
            self.transport,
            &self.run.trace(),
            self.run,
        )?;
        let completed = Rc::new(Completed { profile, metadata });
        *self.discovered.borrow_mut() = Some(completed.clone());
        Ok(completed)
    }

    /// What the client authenticates with: the credential its secret and key make, or for
    /// `federated_jwt` the run's workload identity token as its assertion.
    pub fn credential(&self) -> Result<std::borrow::Cow<'a, Credential>> {
        if self.profile.auth_method != AuthMethod::FederatedJwt {
            return self.secret.credential().map(std::borrow::Cow::Borrowed);
        }
        match self.run.identity_token()? {
            Some(token) => Ok(std::borrow::Cow::Owned(Credential::Assertion(token))),
            None => Err(Error::Config(format!(
                "{} uses auth_method = \"federated_jwt\", whose client assertion is a workload identity token: set identity_token_from (or identity_token_env / _file / _command)",
                self.profile.describe()
            ))),
        }
    }

    /// The URL of `endpoint`, checked: https, or plain http to loopback (SECURITY 15).
    pub fn endpoint(&self, endpoint: Endpoint) -> Result<String> {
        let completed = self.discover(&[endpoint])?;
        let url = endpoint.of(&completed.profile).ok_or_else(|| {
            Error::Internal(format!("discovery left {} unset", endpoint.config_key()))
        })?;
        check_url(url, endpoint.config_key())?;
        Ok(url.to_string())
    }

    /// A token for `grant` from the token endpoint (RFC 6749 §5), sent again only as the grant
    /// allows.
    pub fn token(&self, grant: &Grant<'_>) -> Result<TokenResponse> {
        // The credential first: a secret or key that cannot be had fails before anything is
        // looked up.
        let credential = self.credential()?;
        let credential = credential.as_ref();
        let completed = self.discover(&[Endpoint::Token])?;
        let profile = &completed.profile;
        let url = profile.require_token_url()?.to_string();
        check_url(&url, "token_url")?;
        let build = || build_request(profile, credential, grant);
        if let Grant::AuthorizationCode {
            code_verifier: Some(v),
            ..
        } = grant
        {
            // The challenge is public (it went through the browser), and comparing it with the
            // one sent to the authorization endpoint is how a PKCE `invalid_grant` is debugged.
            self.run.trace().line(&format!(
                "note: the code_verifier's S256 code_challenge is {} (RFC 7636 §4.2); \
                 it must match the one sent with the authorization request",
                super::s256_challenge(v.expose())
            ));
        }
        // RFC 9449 §5: a DPoP profile proves its key with every token request.
        let dpop = self.run.dpop()?;
        let dpop_nonce = dpop.map(|dpop| (dpop, grant.answers_nonce_at_once()));
        let mut token = self.send(
            &build,
            &[],
            grant.resend(),
            dpop_nonce,
            |response, trace| {
                let token = parse_token_response(response, &url, crate::timefmt::now(), trace)?;
                grant.check_answer(&token)?;
                Ok(token)
            },
        )?;
        if let Some(dpop) = dpop {
            if token.is_dpop() {
                token.dpop_jkt = Some(dpop.key.jkt.clone());
                token.dpop_key = Some(dpop.key.kept.clone());
            } else {
                // RFC 9449 §5: a server that does not bind the token answers Bearer; the token
                // still works, as any bearer token does, for whoever holds it.
                self.run.warn(format!(
                    "warning: {} answered the DPoP request with a {} token, not bound to the DPoP key: it works for whoever holds it",
                    host_of(&url),
                    token
                        .token_type
                        .as_ref()
                        .map_or("Bearer".to_string(), super::TokenType::describe)
                ));
            }
        }
        Ok(token)
    }

    /// A client-authenticated POST of `params` to `endpoint` (device authorization,
    /// revocation, introspection: RFC 8628 §3.1, RFC 7009 §2.1, RFC 7662 §2.1), its answer read by
    /// `parse` with the endpoint's host. `sent` are other secrets of the run a server might echo.
    pub fn post<T>(
        &self,
        endpoint: Endpoint,
        params: Vec<Param>,
        sent: &[&Secret],
        resend: Resend,
        parse: impl FnOnce(&Response, &Trace, &str) -> Result<T>,
    ) -> Result<T> {
        let url = self.endpoint(endpoint)?;
        // An assertion's default audience is the token endpoint, whichever endpoint it goes to.
        let completed = match self.profile.auth_method {
            AuthMethod::PrivateKeyJwt | AuthMethod::ClientSecretJwt => {
                self.discover(&[endpoint, Endpoint::Token])?
            }
            _ => self.discover(&[endpoint])?,
        };
        let profile = &completed.profile;
        let credential = self.credential()?;
        let credential = credential.as_ref();
        let build = || client_request(profile, credential, &url, params.clone());
        let host = host_of(&url);
        self.send(&build, sent, resend, None, |response, trace| {
            parse(response, trace, &host)
        })
    }

    /// Sends the request `build` makes and hands the answer to `parse`. A retry sends a request
    /// built anew, so that a value that must be new on every request (a signed client assertion,
    /// a DPoP proof) is. Every secret of each request, every other secret in `sent` and every
    /// header the trace hides is masked in the trace and scrubbed from any error built from the
    /// server's answer, since a server may echo the request. With `dpop`, each request carries a
    /// proof with the server's latest nonce, every nonce an answer gives is remembered, and a
    /// demand for a nonce is answered by one more request with the nonce it gave (RFC 9449 §8)
    /// when `at_once`; otherwise it is the caller's to act on.
    fn send<T>(
        &self,
        build: &dyn Fn() -> Result<TokenRequest>,
        sent: &[&Secret],
        resend: Resend,
        dpop: Option<(&crate::dpop::Dpop, bool)>,
        parse: impl FnOnce(&Response, &Trace) -> Result<T>,
    ) -> Result<T> {
        let (dpop, nonce_at_once) = match dpop {
            Some((dpop, at_once)) => (Some(dpop), at_once),
            None => (None, false),
        };
        let trace = self.run.trace();
        for secret in sent {
            trace.mask(secret.expose());
        }
        let prepare = |request: TokenRequest| -> Result<crate::http::FormPost> {
            for secret in request.secrets() {
                trace.mask(&secret);
            }
            let mut headers = request.wire_headers();
            if let Some(dpop) = dpop {
                let proof = dpop.token_request_proof(&request.url)?;
                trace.mask(proof.expose());
                headers.push(("DPoP".into(), proof.expose().to_string()));
            }
            for (name, value) in &headers {
                if name.eq_ignore_ascii_case("authorization") {
                    trace.mask_authorization(value);
                }
                // A header the trace hides (an API key, a cookie) must not come back in an echo.
                if crate::http::redact_header(name, value) != *value {
                    trace.mask(value);
                }
            }
            Ok(crate::http::FormPost {
                method: crate::http::Method::Post,
                url: request.url,
                headers,
                form: request.form,
            })
        };
        let retry = RetryPolicy {
            resend,
            retries: self.profile.retries,
            max_wait: Duration::from_secs(self.profile.retry_max_secs),
        };
        let mut nonce_retried = false;
        let response = loop {
            // The first request is made before anything is sent: a request that cannot be made
            // (a key that cannot sign) fails with nothing on the wire.
            let first = prepare(build()?)?;
            let url = first.url.clone();
            let mut first = Some(first);
            let mut next = |_attempt: u32, previous: Option<&Response>| {
                // RFC 9449 §8.2: a nonce may come with any answer, a transient failure's too.
                if let (Some(dpop), Some(nonce)) =
                    (dpop, previous.and_then(|r| r.dpop_nonce.as_deref()))
                {
                    dpop.remember_nonce(&url, nonce);
                }
                match first.take() {
                    Some(post) => Ok(post),
                    None => build().and_then(prepare),
                }
            };
            let response = self
                .transport
                .post_form(&url, &mut next, &trace, retry)
                .map_err(|e| e.scrubbed(|text| trace.scrub(text)))?;
            let Some(dpop) = dpop else {
                break response;
            };
            let new_nonce = response
                .dpop_nonce
                .as_deref()
                .is_some_and(|nonce| dpop.remember_nonce(&url, nonce));
            if !nonce_at_once || !asks_for_dpop_nonce(&response) {
                break response;
            }
            if nonce_retried || !new_nonce {
                // Reported as the refusal it is, saying what was tried.
                let why = match (nonce_retried, &response.dpop_nonce) {
                    (true, _) => {
                        "asked for a DPoP nonce again after oauthctl retried with the one it gave (RFC 9449 §8 allows one retry)"
                    }
                    (false, None) => {
                        "asked for a DPoP nonce without giving one (no DPoP-Nonce header)"
                    }
                    (false, Some(_)) => {
                        "asked for a DPoP nonce, giving one oauthctl had sent already or that is not a nonce (RFC 9449 §8.1)"
                    }
                };
                return Err(parse(&response, &trace)
                    .err()
                    .map(|e| dpop_refusal(e, why))
                    .unwrap_or_else(|| Error::Internal("a use_dpop_nonce answer parsed".into()))
                    .scrubbed(|text| trace.scrub(text)));
            }
            trace.line("retrying with the server's DPoP nonce (RFC 9449 §8)");
            nonce_retried = true;
        };
        parse(&response, &trace).map_err(|e| e.scrubbed(|text| trace.scrub(text)))
    }
}

/// RFC 9449 §8: a token endpoint that wants a nonce answers 400 (a resource server 401) with
/// the error `use_dpop_nonce`.
fn asks_for_dpop_nonce(response: &Response) -> bool {
    if !matches!(response.status, 400 | 401) {
        return false;
    }
    serde_json::from_slice::<serde_json::Value>(&response.body)
        .ok()
        .and_then(|body| {
            body.get("error")
                .and_then(|e| e.as_str())
                .map(str::to_string)
        })
        .is_some_and(|error| error == "use_dpop_nonce")
}

/// A refusal with what oauthctl did about the server's demand for a nonce.
fn dpop_refusal(error: Error, why: &str) -> Error {
    match error {
        Error::Refused(mut refusal) => {
            refusal.message = format!("{}; the server {why}", refusal.message);
            Error::Refused(refusal)
        }
        other => other,
    }
}

/// The client's secret and key, each read at most once per run and only when it is needed, and
/// the credential made of them.
#[derive(Debug)]
pub struct ClientSecret {
    profile: Profile,
    /// The config file's path, and why it may not hold a literal secret (SECURITY 4), if so.
    config: (std::path::PathBuf, Option<String>),
    read: OnceCell<Option<Secret>>,
    key: OnceCell<Option<ClientKey>>,
    credential: OnceCell<Credential>,
}

impl ClientSecret {
    pub fn new(profile: &Profile, config: &Config) -> ClientSecret {
        ClientSecret {
            profile: profile.clone(),
            config: (config.path.clone(), config.unsafe_for_secrets.clone()),
            read: OnceCell::new(),
            key: OnceCell::new(),
            credential: OnceCell::new(),
        }
    }

    /// The profile whose secret it is.
    pub fn profile(&self) -> &Profile {
        &self.profile
    }

    /// The secret (`None` when the client's method uses none), read on first use.
    pub fn get(&self) -> Result<Option<&Secret>> {
        if let Some(read) = self.read.get() {
            return Ok(read.as_ref());
        }
        let secret = read_secret(&self.profile, &self.config.0, self.config.1.as_deref())?;
        Ok(self.read.get_or_init(|| secret).as_ref())
    }

    /// The private key and certificate (`None` when the profile names no key), read and
    /// checked on first use.
    pub fn key(&self) -> Result<Option<&ClientKey>> {
        if let Some(key) = self.key.get() {
            return Ok(key.as_ref());
        }
        let key = read_client_key(&self.profile, crate::timefmt::now())?;
        Ok(self.key.get_or_init(|| key).as_ref())
    }

    /// What the client authenticates with, made on first use: every secret and key it needs
    /// read and checked, so that a bad one fails before any request.
    pub fn credential(&self) -> Result<&Credential> {
        if let Some(credential) = self.credential.get() {
            return Ok(credential);
        }
        let profile = &self.profile;
        if profile.client_id.is_none() && profile.client_id_optional() {
            return Ok(self.credential.get_or_init(|| Credential::Nothing));
        }
        let client_id = profile.require_client_id()?;
        let credential = match profile.auth_method {
            AuthMethod::Basic | AuthMethod::Post => match self.get()? {
                Some(secret) => Credential::Secret(secret.clone()),
                None => {
                    return Err(Error::Internal(
                        "a confidential client without a secret".into(),
                    ));
                }
            },
            AuthMethod::None => Credential::Nothing,
            AuthMethod::ClientSecretJwt => match self.get()? {
                Some(secret) => {
                    Credential::Signer(Rc::new(secret_signer(profile, client_id, secret)?))
                }
                None => return Err(Error::Internal("client_secret_jwt without a secret".into())),
            },
            AuthMethod::PrivateKeyJwt => {
                let key = self.key()?.ok_or_else(|| no_key(profile))?;
                Credential::Signer(Rc::new(key_signer(profile, client_id, key)?))
            }
            // The run's workload identity token is the assertion: `Client::credential`.
            AuthMethod::FederatedJwt => Credential::Nothing,
            AuthMethod::TlsClientAuth | AuthMethod::SelfSignedTlsClientAuth => {
                let key = self.key()?.ok_or_else(|| no_key(profile))?;
                if key.certificate.is_none() {
                    return Err(Error::Config(format!(
                        "{} uses auth_method = \"{}\", which presents a certificate in TLS (RFC 8705 §2): set client_certificate_file",
                        profile.describe(),
                        profile.auth_method.as_str()
                    )));
                }
                Credential::Nothing
            }
        };
        Ok(self.credential.get_or_init(|| credential))
    }
}

/// The error of a method that needs a private key when the profile names none.
fn no_key(profile: &Profile) -> Error {
    Error::Config(format!(
        "{} uses auth_method = \"{}\", which needs the client's private key: set private_key_file (or private_key_env / private_key_command)",
        profile.describe(),
        profile.auth_method.as_str()
    ))
}

/// The client secret for this profile, or `None` for a public client (`auth_method = "none"`).
fn read_secret(
    profile: &Profile,
    config_path: &std::path::Path,
    unsafe_for_secrets: Option<&str>,
) -> Result<Option<Secret>> {
    // Before a secret command runs or a prompt shows: the profile names a client.
    if !profile.client_id_optional() {
        profile.require_client_id()?;
    }
    if !ClientAuth::needs_secret(profile.auth_method) {
        return Ok(None);
    }
    // Only the config file can hold a literal. SECURITY 4: refused, as ssh refuses a private key
    // others can read, when the file is not private.
    if let (Some(SecretSource::Literal(_)), Some(problem)) = (&profile.secret, unsafe_for_secrets) {
        return Err(Error::Config(format!(
            "refusing the literal client_secret of {} in `{}`: {problem}; or move the secret out with client_secret_env / client_secret_file",
            profile.describe(),
            config_path.display()
        )));
    }
    match &profile.secret {
        Some(source) => source.read_within(profile.timeout()).map(Some),
        // kubectl says whether anyone may be asked (`KUBERNETES_EXEC_INFO` `spec.interactive`).
        None if crate::kube::ExecInfo::from_env()?.interactive => {
            crate::secret::prompt(&profile.describe()).map(Some)
        }
        None => Err(Error::Config(format!(
            "no client secret for {}, and {} says the session is not interactive, so nobody is asked: \
             set {} in the kubeconfig's exec env, or give the profile client_secret_env / client_secret_file / client_secret_command",
            profile.describe(),
            crate::kube::EXEC_INFO_ENV,
            crate::secret::OVERRIDE_ENV
        ))),
    }
}
