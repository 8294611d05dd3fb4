//! Single sign-on with the organisation's identity provider (OpenID Connect, authorization
//! code flow with PKCE), with the `openidconnect` crate: discovery, the code exchange, and the
//! ID token's checks (signature, issuer, audience, expiry, nonce).
//!
//! A sign-in is three steps, and only the first and last hold a database connection:
//! [`begin`] records the state's hash, the nonce and the PKCE verifier for ten minutes;
//! [`Provider::identify`] exchanges the code and checks the ID token (HTTP to the provider, on
//! the blocking pool, no connection held); [`admit`] maps the claims to a user (role and unit
//! from groups when configured) and refuses, updates or creates them. No token the provider
//! issues is stored or logged; the ID token is read and dropped.

use std::sync::Arc;
use std::time::Duration;

use chrono::NaiveDateTime;
use diesel::prelude::*;
use openidconnect::core::{
    CoreAuthDisplay, CoreAuthPrompt, CoreErrorResponseType, CoreGenderClaim, CoreJsonWebKey,
    CoreJweContentEncryptionAlgorithm, CoreJwsSigningAlgorithm, CoreResponseType,
    CoreRevocableToken, CoreRevocationErrorResponse, CoreTokenIntrospectionResponse, CoreTokenType,
};
use openidconnect::{
    AdditionalClaims, AuthenticationFlow, AuthorizationCode, Client, ClientId, ClientSecret,
    CsrfToken, EmptyExtraTokenFields, EndSessionUrl, EndpointMaybeSet, EndpointNotSet, EndpointSet,
    IdTokenFields, IssuerUrl, LogoutRequest, Nonce, PkceCodeChallenge, PkceCodeVerifier,
    PostLogoutRedirectUrl, ProviderMetadataWithLogout, RedirectUrl, Scope, StandardErrorResponse,
    StandardTokenResponse, TokenResponse,
};
use serde::{Deserialize, Serialize};

use super::{Role, User};
use crate::configuration::OidcSettings;
use crate::db::schema::{sessions, sso_logins, units, users};
use crate::db::{DbConn, UserId};
use crate::error::{AppError, AppResult};
use crate::timed::Timed;
use crate::{db_run, db_write};

/// How long a sign-in may stay at the provider.
const LOGIN_MINUTES: i64 = 10;
/// How long discovery (endpoints and signing keys) is reused before it is read again.
const DISCOVERY_TTL: Duration = Duration::from_secs(300);

/// Every claim of the ID token beyond the standard ones (groups, a unit claim), by name.
#[derive(Clone, Debug, Default, Deserialize, Serialize)]
#[serde(transparent)]
pub struct OtherClaims(serde_json::Map<String, serde_json::Value>);

impl AdditionalClaims for OtherClaims {}

type Fields = IdTokenFields<
    OtherClaims,
    EmptyExtraTokenFields,
    CoreGenderClaim,
    CoreJweContentEncryptionAlgorithm,
    CoreJwsSigningAlgorithm,
>;
type Tokens = StandardTokenResponse<Fields, CoreTokenType>;
type SsoClient = Client<
    OtherClaims,
    CoreAuthDisplay,
    CoreGenderClaim,
    CoreJweContentEncryptionAlgorithm,
    CoreJsonWebKey,
    CoreAuthPrompt,
    StandardErrorResponse<CoreErrorResponseType>,
    Tokens,
    CoreTokenIntrospectionResponse,
    CoreRevocableToken,
    CoreRevocationErrorResponse,
    EndpointSet,
    EndpointNotSet,
    EndpointNotSet,
    EndpointNotSet,
    EndpointMaybeSet,
    EndpointMaybeSet,
>;

/// Why a sign-in with the provider did not sign anyone in, in words for the person trying.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Refusal {
    /// Single sign-on is not configured here.
    Off,
    /// Discovery failed: the provider is down, or its issuer is not the configured one.
    Unreachable(String),
    /// The answer's `state` is not the one this browser started with (or was used already).
    WrongState,
    /// The sign-in took longer than [`LOGIN_MINUTES`].
    Expired,
    /// The provider answered with an error (the person cancelled, or was not allowed).
    ProviderSaid(String),
    /// The provider did not take the code back (used, expired, or for another client).
    CodeRejected(String),
    /// The ID token failed a check.
    BadIdToken(String),
    NoEmail,
    UnverifiedEmail(String),
    /// No user with this email, and none may be created.
    UnknownUser(String),
    /// Roles come from groups and this person is in none of Worklife's.
    NoGroup(String),
    /// A manager group names a unit that is not in the roster.
    UnknownUnit(String),
    /// The email belongs to a user bound to another identity at the provider.
    OtherIdentity(String),
}

impl Refusal {
    /// A short reason for the audit log (no token, no secret).
    pub fn reason(&self) -> &'static str {
        match self {
            Refusal::Off => "single sign-on off",
            Refusal::Unreachable(_) => "provider unreachable or issuer mismatch",
            Refusal::WrongState => "wrong state",
            Refusal::Expired => "sign-in expired",
            Refusal::ProviderSaid(_) => "provider error",
            Refusal::CodeRejected(_) => "code rejected",
            Refusal::BadIdToken(_) => "ID token rejected",
            Refusal::NoEmail => "no email claim",
            Refusal::UnverifiedEmail(_) => "email not verified",
            Refusal::UnknownUser(_) => "unknown user",
            Refusal::NoGroup(_) => "in no Worklife group",
            Refusal::UnknownUnit(_) => "unit not in the roster",
            Refusal::OtherIdentity(_) => "email bound to another identity",
        }
    }

    /// The page's title.
    pub fn title(&self) -> &'static str {
        match self {
            Refusal::Off => "Single sign-on is not set up",
            Refusal::Unreachable(_) => "The sign-in service cannot be reached",
            Refusal::WrongState | Refusal::Expired | Refusal::CodeRejected(_) => {
                "The sign-in did not finish"
            }
            Refusal::ProviderSaid(_) => "The sign-in service did not sign you in",
            Refusal::BadIdToken(_) => "The sign-in could not be trusted",
            Refusal::NoEmail | Refusal::UnverifiedEmail(_) => "Your email could not be confirmed",
            Refusal::UnknownUser(_) | Refusal::NoGroup(_) | Refusal::UnknownUnit(_) => {
                "You do not have access to Worklife"
            }
            Refusal::OtherIdentity(_) => "This email belongs to another account",
        }
    }

    /// What happened and what to do, in plain words.
    pub fn message(&self) -> String {
        const AGAIN: &str = "Nothing was signed in. Start again from the sign-in page.";
        const IT: &str = "Nothing was signed in. Please tell whoever runs Worklife for your \
                          organisation.";
        match self {
            Refusal::Off => "This Worklife does not use single sign-on. Sign in with your \
                             email and password."
                .into(),
            Refusal::Unreachable(why) => format!("Worklife could not use the sign-in service: {why}. {IT}"),
            Refusal::WrongState => format!(
                "The answer from the sign-in service does not belong to a sign-in started in \
                 this browser, or it was used already. {AGAIN}"
            ),
            Refusal::Expired => format!(
                "The sign-in took more than {LOGIN_MINUTES} minutes. {AGAIN}"
            ),
            Refusal::ProviderSaid(why) => format!("The sign-in service answered: {why}. {AGAIN}"),
            Refusal::CodeRejected(why) => format!(
                "The sign-in service did not accept the sign-in back ({why}); it may have taken \
                 too long or been used already. {AGAIN}"
            ),
            Refusal::BadIdToken(why) => format!("The identity token failed a check: {why}. {IT}"),
            Refusal::NoEmail => format!("The sign-in service did not send an email address. {IT}"),
            Refusal::UnverifiedEmail(email) => format!(
                "The sign-in service has not verified the email address {email}. {IT}"
            ),
            Refusal::UnknownUser(email) => format!(
                "There is no Worklife account for {email}. Ask your HR team to add you."
            ),
            Refusal::NoGroup(email) => format!(
                "Your account ({email}) is in none of the groups that give access to Worklife. \
                 Ask your HR team or IT if you should have access."
            ),
            Refusal::UnknownUnit(unit) => format!(
                "Your manager group names the unit \"{unit}\", which is not in Worklife's roster. {IT}"
            ),
            Refusal::OtherIdentity(email) => format!(
                "The Worklife account for {email} signs in with another identity at the sign-in \
                 service. {IT}"
            ),
        }
    }
}

pub type SsoResult<T> = Result<T, Refusal>;

/// The provider as discovered, with this service's client registration.
pub struct Provider {
    client: SsoClient,
    end_session: Option<EndSessionUrl>,
    scopes: Vec<String>,
    client_id: String,
}

/// Calls to the provider: ureq without redirects (a redirect followed on the server's side is
/// an SSRF risk) and with a deadline.
fn http(request: openidconnect::HttpRequest) -> Result<openidconnect::HttpResponse, HttpFailure> {
    let agent: ureq::Agent = ureq::Agent::config_builder()
        .http_status_as_error(false)
        .max_redirects(0)
        .timeout_global(Some(Duration::from_secs(10)))
        .build()
        .into();
    let response = agent.run(request).map_err(|e| HttpFailure(e.to_string()))?;
    let (parts, mut body) = response.into_parts();
    let bytes = body.read_to_vec().map_err(|e| HttpFailure(e.to_string()))?;
    Ok(openidconnect::HttpResponse::from_parts(parts, bytes))
}

#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct HttpFailure(String);

/// The provider's discovery, read at most every [`DISCOVERY_TTL`] (and again after a failure).
#[derive(Clone)]
pub struct Discovery(Timed<Provider>);

impl Default for Discovery {
    fn default() -> Self {
        Discovery(Timed::new(DISCOVERY_TTL))
    }
}

impl Discovery {
    /// The provider; blocking (HTTP). Call it on the blocking pool.
    pub fn provider(&self, settings: &OidcSettings, base_url: &str) -> SsoResult<Arc<Provider>> {
        if !settings.enabled() {
            return Err(Refusal::Off);
        }
        self.0.get(|| Provider::discover(settings, base_url))
    }
}

impl Provider {
    fn discover(settings: &OidcSettings, base_url: &str) -> SsoResult<Provider> {
        let issuer = IssuerUrl::new(settings.issuer.trim().to_string())
            .map_err(|e| Refusal::Unreachable(format!("oidc.issuer is not a URL ({e})")))?;
        let metadata = ProviderMetadataWithLogout::discover(&issuer, &http).map_err(|e| {
            let mut why = e.to_string();
            if let Some(inner) = std::error::Error::source(&e) {
                why = format!("{why}: {inner}");
            }
            tracing::warn!(issuer = %settings.issuer, error = %why, "OIDC discovery failed");
            Refusal::Unreachable(why)
        })?;
        let end_session = metadata.additional_metadata().end_session_endpoint.clone();
        let redirect = format!(
            "{}{}",
            base_url.trim_end_matches('/'),
            settings.redirect_path()
        );
        let redirect = RedirectUrl::new(redirect)
            .map_err(|e| Refusal::Unreachable(format!("the redirect URL is not a URL ({e})")))?;
        let client = SsoClient::from_provider_metadata(
            metadata,
            ClientId::new(settings.client_id.trim().to_string()),
            settings
                .client_secret
                .as_ref()
                .map(|s| ClientSecret::new(s.expose().to_string())),
        )
        .set_redirect_uri(redirect);
        let mut scopes: Vec<String> = if settings.scopes.is_empty() {
            vec!["email".into(), "profile".into()]
        } else {
            settings.scopes.clone()
        };
        scopes.retain(|s| s != "openid");
        Ok(Provider {
            client,
            end_session,
            scopes,
            client_id: settings.client_id.trim().to_string(),
        })
    }

    /// Where to send the browser to sign in, and what to remember for the way back.
    pub fn authorize(&self) -> (String, PendingLogin) {
        let (challenge, verifier) = PkceCodeChallenge::new_random_sha256();
        let mut request = self.client.authorize_url(
            AuthenticationFlow::<CoreResponseType>::AuthorizationCode,
            CsrfToken::new_random,
            Nonce::new_random,
        );
        for s in &self.scopes {
            request = request.add_scope(Scope::new(s.clone()));
        }
        let (url, state, nonce) = request.set_pkce_challenge(challenge).url();
        (
            url.to_string(),
            PendingLogin {
                state: state.secret().clone(),
                nonce: nonce.secret().clone(),
                verifier: verifier.secret().clone(),
            },
        )
    }

    /// Exchanges the code and checks the ID token at `now` (the service's clock): signature,
    /// issuer, audience, expiry and nonce. Blocking (HTTP), without a database connection.
    pub fn identify(
        &self,
        code: &str,
        login: &StartedLogin,
        now: NaiveDateTime,
    ) -> SsoResult<Claims> {
        let tokens = self
            .client
            .exchange_code(AuthorizationCode::new(code.to_string()))
            .map_err(|e| Refusal::Unreachable(e.to_string()))?
            .set_pkce_verifier(PkceCodeVerifier::new(login.verifier.clone()))
            .request(&http)
            .map_err(|e| Refusal::CodeRejected(token_error(&e)))?;
        let id_token = tokens
            .id_token()
            .ok_or_else(|| Refusal::BadIdToken("the provider sent no ID token".into()))?;
        let verifier = self
            .client
            .id_token_verifier()
            .set_time_fn(move || now.and_utc());
        let claims = id_token
            .claims(&verifier, &Nonce::new(login.nonce.clone()))
            .map_err(|e| Refusal::BadIdToken(claims_error(&e)))?;
        let issuer = claims.issuer().as_str().to_string();
        Ok(Claims {
            subject: format!("{issuer}|{}", claims.subject().as_str()),
            email: claims.email().map(|e| e.as_str().trim().to_lowercase()),
            email_verified: claims.email_verified().unwrap_or(false),
            other: claims.additional_claims().0.clone(),
        })
    }

    /// The provider's sign-out for someone leaving Worklife (RP-initiated logout), coming
    /// back to `back`; `None` when the provider has no end-session endpoint.
    pub fn sign_out_url(&self, back: &str) -> Option<String> {
        let endpoint = self.end_session.clone()?;
        let mut request =
            LogoutRequest::from(endpoint).set_client_id(ClientId::new(self.client_id.clone()));
        if let Ok(back) = PostLogoutRedirectUrl::new(back.to_string()) {
            request = request.set_post_logout_redirect_uri(back);
        }
        Some(request.http_get_url().to_string())
    }
}

/// The token endpoint's refusal in words: the OAuth error code and description only.
fn token_error<E: std::error::Error>(
    e: &openidconnect::RequestTokenError<
        E,
        StandardErrorResponse<openidconnect::core::CoreErrorResponseType>,
    >,
) -> String {
    match e {
        openidconnect::RequestTokenError::ServerResponse(r) => match r.error_description() {
            Some(d) => format!("{}: {d}", r.error().as_ref()),
            None => r.error().as_ref().to_string(),
        },
        openidconnect::RequestTokenError::Request(inner) => format!("could not reach it: {inner}"),
        other => other.to_string(),
    }
}

/// An ID token check that failed, in words.
fn claims_error(e: &openidconnect::ClaimsVerificationError) -> String {
    use openidconnect::ClaimsVerificationError as E;
    match e {
        E::Expired(_) => "it has expired".into(),
        E::InvalidAudience(_) => "it was issued for another application (wrong audience)".into(),
        E::InvalidIssuer(_) => "it was issued by another provider (wrong issuer)".into(),
        E::InvalidNonce(_) => "it does not belong to this sign-in (wrong nonce)".into(),
        E::SignatureVerification(_) => "its signature does not hold".into(),
        other => other.to_string(),
    }
}

/// What [`Provider::authorize`] makes: the browser keeps `state`, the database the rest.
pub struct PendingLogin {
    pub state: String,
    nonce: String,
    verifier: String,
}

/// A sign-in taken back by its state: what the ID token must match.
pub struct StartedLogin {
    nonce: String,
    verifier: String,
    /// Where to go after signing in (a path of this site).
    pub next: String,
}

/// Records a sign-in under way (and sweeps expired ones).
pub fn begin(
    conn: &mut DbConn,
    pending: &PendingLogin,
    next: &str,
    now: NaiveDateTime,
) -> AppResult<()> {
    let expires = now + chrono::Duration::minutes(LOGIN_MINUTES);
    db_write!(conn, |c| {
        diesel::delete(sso_logins::table.filter(sso_logins::expires_at.le(now))).execute(c)?;
        diesel::insert_into(sso_logins::table)
            .values((
                sso_logins::state_hash.eq(super::sha256_hex(&pending.state)),
                sso_logins::nonce.eq(&pending.nonce),
                sso_logins::pkce_verifier.eq(&pending.verifier),
                sso_logins::next_path.eq(next),
                sso_logins::expires_at.eq(expires),
            ))
            .execute(c)
    })?;
    Ok(())
}

/// Takes back the sign-in that `state` started: once only, within [`LOGIN_MINUTES`].
pub fn take(
    conn: &mut DbConn,
    state: &str,
    now: NaiveDateTime,
) -> AppResult<SsoResult<StartedLogin>> {
    let hash = super::sha256_hex(state);
    let row: Option<(String, String, String, NaiveDateTime)> = db_write!(conn, |c| {
        let row = sso_logins::table
            .filter(sso_logins::state_hash.eq(&hash))
            .select((
                sso_logins::nonce,
                sso_logins::pkce_verifier,
                sso_logins::next_path,
                sso_logins::expires_at,
            ))
            .first(c)
            .optional()?;
        // Whoever deletes the row owns the sign-in: two callbacks with one state get one.
        let deleted = diesel::delete(sso_logins::table.filter(sso_logins::state_hash.eq(&hash)))
            .execute(c)?;
        Ok::<_, diesel::result::Error>(row.filter(|_| deleted == 1))
    })?;
    Ok(match row {
        None => Err(Refusal::WrongState),
        Some((_, _, _, expires)) if expires <= now => Err(Refusal::Expired),
        Some((nonce, verifier, next, _)) => Ok(StartedLogin {
            nonce,
            verifier,
            next,
        }),
    })
}

/// The claims Worklife reads from a checked ID token.
#[derive(Clone, Debug)]
pub struct Claims {
    /// `issuer|sub`: who this is at the provider, for good.
    pub subject: String,
    pub email: Option<String>,
    pub email_verified: bool,
    /// Every other claim (groups, a unit claim).
    pub other: serde_json::Map<String, serde_json::Value>,
}

impl Claims {
    /// The strings of claim `name`: a list of strings, or one string.
    fn strings(&self, name: &str) -> Vec<String> {
        match self.other.get(name) {
            Some(serde_json::Value::Array(items)) => items
                .iter()
                .filter_map(|v| v.as_str().map(str::to_string))
                .collect(),
            Some(serde_json::Value::String(s)) => vec![s.clone()],
            _ => Vec::new(),
        }
    }
}

/// The role (and a manager's unit) that the groups give; `None` when they give none. The
/// most reading power wins: admin, then viewer, then manager; of several manager units the
/// highest in the tree (the shortest path), then the first by name.
pub fn role_of(settings: &OidcSettings, claims: &Claims) -> Option<(Role, Option<String>)> {
    let groups = claims.strings(settings.groups_claim());
    let member = |g: &str| !g.trim().is_empty() && groups.iter().any(|x| x == g.trim());
    if member(&settings.admin_group) {
        return Some((Role::Admin, None));
    }
    if member(&settings.viewer_group) {
        return Some((Role::Viewer, None));
    }
    let mut units: Vec<String> = Vec::new();
    let prefix = settings.manager_group_prefix.trim();
    if !prefix.is_empty() {
        units.extend(
            groups
                .iter()
                .filter_map(|g| g.strip_prefix(prefix))
                .map(|u| u.trim().trim_matches('/').to_string())
                .filter(|u| !u.is_empty()),
        );
    }
    if member(&settings.manager_group) {
        units.extend(
            claims
                .strings(settings.manager_unit_claim.trim())
                .into_iter()
                .map(|u| u.trim().trim_matches('/').to_string())
                .filter(|u| !u.is_empty()),
        );
    }
    units.sort_by(|a, b| {
        a.split('/')
            .count()
            .cmp(&b.split('/').count())
            .then(a.cmp(b))
    });
    units
        .into_iter()
        .next()
        .map(|unit| (Role::Manager, Some(unit)))
}

/// What [`admit`] did besides signing someone in, for the audit log.
#[derive(Clone, Debug)]
pub enum Admitted {
    /// An existing user, unchanged.
    Known(User),
    /// Their role or unit changed with their groups (their other sessions ended).
    Changed { user: User, was: String },
    /// Created at their first sign-in.
    Created(User),
}

impl Admitted {
    pub fn user(&self) -> &User {
        match self {
            Admitted::Known(u) | Admitted::Created(u) | Admitted::Changed { user: u, .. } => u,
        }
    }
}

/// A refusal, and whether an existing user lost access with it (their sessions and API
/// tokens ended, the account removed), for the audit log.
pub struct Refused {
    pub refusal: Refusal,
    pub removed: Option<String>,
}

fn role_words(role: Role, unit: Option<&str>) -> String {
    match unit {
        Some(u) => format!("{} of {u}", role.as_str()),
        None => role.as_str().to_string(),
    }
}

/// Maps checked claims to a user: the email (verified) finds them, bound to the provider's
/// subject from the first sign-in on; with group settings, role and unit follow the groups
/// at every sign-in, someone in no group loses access (account, sessions and tokens), and
/// with `create_users` a new user is made.
pub fn admit(
    conn: &mut DbConn,
    settings: &OidcSettings,
    claims: &Claims,
) -> AppResult<Result<Admitted, Refused>> {
    let refuse = |refusal| {
        Ok(Err(Refused {
            refusal,
            removed: None,
        }))
    };
    let Some(email) = claims.email.clone().filter(|e| !e.is_empty()) else {
        return refuse(Refusal::NoEmail);
    };
    if !claims.email_verified && !settings.trust_unverified_email {
        return refuse(Refusal::UnverifiedEmail(email));
    }
    let by_subject: Option<(UserId, Option<String>)> = db_run!(conn, |c| users::table
        .filter(users::sso_subject.eq(&claims.subject))
        .select((users::id, users::sso_subject))
        .first(c)
        .optional())?;
    let by_email: Option<(UserId, Option<String>)> = match by_subject {
        Some(found) => Some(found),
        None => db_run!(conn, |c| users::table
            .filter(users::email.eq(&email))
            .select((users::id, users::sso_subject))
            .first(c)
            .optional())?,
    };
    if let Some((_, Some(bound))) = &by_email {
        if *bound != claims.subject {
            return refuse(Refusal::OtherIdentity(email));
        }
    }
    let existing = match &by_email {
        Some((id, _)) => super::find_by_id(conn, id)?,
        None => None,
    };
    if !settings.maps_groups() {
        return match existing {
            Some(user) => {
                bind(conn, &user.id, &claims.subject)?;
                Ok(Ok(Admitted::Known(user)))
            }
            None => refuse(Refusal::UnknownUser(email)),
        };
    }
    let Some((role, unit)) = role_of(settings, claims) else {
        let removed = match existing {
            // Someone who left every Worklife group: their account goes, with its sessions
            // and API tokens, in one transaction.
            Some(user) => {
                super::remove_user(conn, &user.email)?;
                Some(user.email)
            }
            None => None,
        };
        return Ok(Err(Refused {
            refusal: Refusal::NoGroup(email),
            removed,
        }));
    };
    if let Some(path) = &unit {
        let known: i64 = db_run!(conn, |c| units::table
            .filter(units::path.eq(path))
            .count()
            .get_result(c))?;
        if known == 0 {
            return refuse(Refusal::UnknownUnit(path.clone()));
        }
    }
    match existing {
        Some(user) if user.role == role && user.unit_path == unit => {
            bind(conn, &user.id, &claims.subject)?;
            Ok(Ok(Admitted::Known(user)))
        }
        Some(user) => {
            let was = role_words(user.role, user.unit_path.as_deref());
            db_write!(conn, |c| {
                diesel::update(users::table.filter(users::id.eq(&user.id)))
                    .set((
                        users::role.eq(role.as_str()),
                        users::unit_path.eq(unit.as_deref()),
                        users::sso_subject.eq(&claims.subject),
                    ))
                    .execute(c)?;
                diesel::delete(sessions::table.filter(sessions::user_id.eq(&user.id))).execute(c)
            })?;
            Ok(Ok(Admitted::Changed {
                user: User {
                    role,
                    unit_path: unit,
                    ..user
                },
                was,
            }))
        }
        None if settings.create_users => {
            let id = UserId::new();
            db_write!(conn, |c| diesel::insert_into(users::table)
                .values((
                    users::id.eq(&id),
                    users::email.eq(&email),
                    users::role.eq(role.as_str()),
                    users::unit_path.eq(unit.as_deref()),
                    users::password_hash.eq(super::accounts::NO_PASSWORD),
                    users::created_at.eq(crate::clock::now()),
                    users::sso_subject.eq(&claims.subject),
                ))
                .execute(c))?;
            Ok(Ok(Admitted::Created(User {
                id,
                email,
                role,
                unit_path: unit,
            })))
        }
        None => refuse(Refusal::UnknownUser(email)),
    }
}

fn bind(conn: &mut DbConn, id: &UserId, subject: &str) -> AppResult<()> {
    db_write!(conn, |c| diesel::update(
        users::table
            .filter(users::id.eq(id))
            .filter(users::sso_subject.is_null())
    )
    .set(users::sso_subject.eq(subject))
    .execute(c))?;
    Ok(())
}

/// Whether a user signs in with the provider (bound to an identity there).
pub fn uses_sso(conn: &mut DbConn, id: &UserId) -> AppResult<bool> {
    let subject: Option<Option<String>> = db_run!(conn, |c| users::table
        .filter(users::id.eq(id))
        .select(users::sso_subject)
        .first(c)
        .optional())?;
    Ok(subject.flatten().is_some())
}

/// Whether a user may sign in with a password while password sign-in is off.
pub fn is_break_glass(conn: &mut DbConn, id: &UserId) -> AppResult<bool> {
    let flag: Option<bool> = db_run!(conn, |c| users::table
        .filter(users::id.eq(id))
        .select(users::break_glass)
        .first(c)
        .optional())?;
    Ok(flag.unwrap_or(false))
}

/// Marks an admin as break-glass (the CLI's `--break-glass`).
pub fn set_break_glass(conn: &mut DbConn, id: &UserId) -> AppResult<()> {
    db_write!(conn, |c| diesel::update(
        users::table.filter(users::id.eq(id))
    )
    .set(users::break_glass.eq(true))
    .execute(c))?;
    Ok(())
}

impl From<Refusal> for AppError {
    fn from(r: Refusal) -> AppError {
        match r {
            Refusal::Off => AppError::NotFound(r.message()),
            Refusal::UnknownUser(_) | Refusal::NoGroup(_) | Refusal::UnknownUnit(_) => {
                AppError::Forbidden(r.message())
            }
            Refusal::OtherIdentity(_) => AppError::Conflict(r.message()),
            _ => AppError::Unauthorized(r.message()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn claims(groups: serde_json::Value, unit: Option<&str>) -> Claims {
        let mut other = serde_json::Map::new();
        other.insert("groups".into(), groups);
        if let Some(u) = unit {
            other.insert("unit".into(), serde_json::Value::String(u.into()));
        }
        Claims {
            subject: "iss|sub".into(),
            email: Some("a@b.test".into()),
            email_verified: true,
            other,
        }
    }

    fn settings() -> OidcSettings {
        OidcSettings {
            issuer: "http://idp".into(),
            client_id: "worklife".into(),
            admin_group: "wl-admins".into(),
            viewer_group: "wl-viewers".into(),
            manager_group_prefix: "wl-manager:".into(),
            manager_group: "wl-managers".into(),
            manager_unit_claim: "unit".into(),
            ..OidcSettings::default()
        }
    }

    #[test]
    fn groups_give_the_most_reading_power_and_the_highest_unit() {
        let s = settings();
        let role = |g, u| role_of(&s, &claims(g, u));
        assert_eq!(
            role(serde_json::json!(["x", "wl-viewers", "wl-admins"]), None),
            Some((Role::Admin, None))
        );
        assert_eq!(
            role(
                serde_json::json!(["wl-viewers", "wl-manager:Acme/Eng"]),
                None
            ),
            Some((Role::Viewer, None))
        );
        assert_eq!(
            role(
                serde_json::json!(["wl-manager:Acme/Eng/Data", "wl-manager:Acme/Eng"]),
                None
            ),
            Some((Role::Manager, Some("Acme/Eng".into())))
        );
        assert_eq!(
            role(serde_json::json!(["wl-managers"]), Some("Acme/Sales")),
            Some((Role::Manager, Some("Acme/Sales".into())))
        );
        // A group named like a role but not configured, or a manager group without a unit.
        assert_eq!(
            role(serde_json::json!(["admins", "wl-managers"]), None),
            None
        );
        // One group as a string rather than a list.
        assert_eq!(
            role(serde_json::json!("wl-admins"), None),
            Some((Role::Admin, None))
        );
        assert_eq!(role(serde_json::json!(null), None), None);
    }
}
