//! Changing the roster in the browser, as `worklife roster import` does on the server: an
//! admin uploads a CSV file (`POST /reports/roster/upload`), reads a preview of what it would
//! change (nothing is written), and confirms (`POST /reports/roster/import`), which imports
//! that same file in one transaction with its audit entry.
//!
//! The preview page carries the file back in its confirm form (base64 in a hidden field,
//! with its SHA-256 checked on confirm), so the server keeps nothing between the two steps
//! and the import is exactly the file that was previewed. Uploads are limited to
//! [`UPLOAD_LIMIT`]; a larger file is read to its end (so the browser gets the answer
//! instead of a broken connection) and answered with a page saying how large it was. The
//! roster page ([`super::roster_page`]) hosts the form and says what an import changed.

use actix_multipart::{Field, Multipart};
use actix_web::http::StatusCode;
use actix_web::{web, HttpRequest, HttpResponse};
use askama::Template;
use base64::Engine;
use futures_core::Stream;
use serde::Deserialize;
use sha2::{Digest, Sha256};

use super::access::Reader;
use super::console::{admin_form, admins_only, see_other};
use super::error::PageError;
use super::reports_pages::render;
use super::roster_page::{
    megabytes, roster_form_page, Counts, IMPORT_PATH, ROSTER_PATH, UPLOAD_LIMIT, UPLOAD_PATH,
};
use super::signed_in::PageReader;
use super::{AppState, REPORT_CSS_PATH};
use crate::db::blocking;
use crate::error::{AppError, AppResult};
use crate::survey::roster;

/// How much of a too-large upload is still read (and thrown away) so that the browser
/// receives the "too large" page: beyond this the connection is closed instead.
const DRAIN_LIMIT: usize = 20 * UPLOAD_LIMIT;

/// The confirm form: the file as URL-safe base64 (a third larger) plus the small fields.
const CONFIRM_BODY_LIMIT: usize = UPLOAD_LIMIT / 3 * 4 + 64 * 1024;

/// A form field other than the file (the CSRF token, the prune checkbox).
const SMALL_FIELD_LIMIT: usize = 1024;

pub fn routes(cfg: &mut web::ServiceConfig) {
    // Both addresses answer forms only; opened from the history or a bookmark, they lead
    // back to the roster page.
    cfg.route(UPLOAD_PATH, web::post().to(upload))
        .route(UPLOAD_PATH, web::get().to(back_to_roster))
        .service(
            web::resource(IMPORT_PATH)
                .app_data(
                    web::FormConfig::default()
                        .limit(CONFIRM_BODY_LIMIT)
                        .error_handler(|e, _| {
                            PageError::from(AppError::validation(format!(
                                "the confirmation could not be read ({e}); upload the file again"
                            )))
                            .into()
                        }),
                )
                .route(web::post().to(confirm))
                .route(web::get().to(back_to_roster)),
        );
}

async fn back_to_roster() -> HttpResponse {
    see_other(ROSTER_PATH)
}

/// What the upload form sent.
#[derive(Default)]
struct Upload {
    csrf: String,
    prune: bool,
    /// The file's name as the browser sent it; empty when no file was chosen.
    file_name: String,
    bytes: Vec<u8>,
    /// The file's whole size, also when it is over the limit (then `bytes` is empty).
    size: usize,
    /// The request went past [`DRAIN_LIMIT`] and was not read to its end.
    abandoned: bool,
}

async fn next_field(m: &mut Multipart) -> Option<Result<Field, actix_multipart::MultipartError>> {
    std::future::poll_fn(|cx| std::pin::Pin::new(&mut *m).poll_next(cx)).await
}

async fn next_chunk(
    f: &mut Field,
) -> Option<Result<actix_web::web::Bytes, actix_multipart::MultipartError>> {
    std::future::poll_fn(|cx| std::pin::Pin::new(&mut *f).poll_next(cx)).await
}

/// Reads the upload form: the file up to [`UPLOAD_LIMIT`] (counting, not keeping, what goes
/// beyond), the other fields up to a kilobyte each.
async fn read_upload(mut m: Multipart) -> AppResult<Upload> {
    let unreadable = |e: actix_multipart::MultipartError| {
        AppError::validation(format!(
            "file: the upload could not be read ({e}); choose the file and send the form again"
        ))
    };
    let mut upload = Upload::default();
    let mut read = 0usize;
    while let Some(field) = next_field(&mut m).await {
        let mut field = field.map_err(unreadable)?;
        let name = field.name().unwrap_or_default().to_string();
        let is_file = name == "file";
        if is_file {
            upload.file_name = field
                .content_disposition()
                .and_then(|d| d.get_filename())
                .unwrap_or_default()
                .to_string();
        }
        let mut value = Vec::new();
        let mut size = 0usize;
        while let Some(chunk) = next_chunk(&mut field).await {
            let chunk = chunk.map_err(unreadable)?;
            size += chunk.len();
            read += chunk.len();
            if read > DRAIN_LIMIT {
                upload.abandoned = true;
                upload.size = upload.size.max(size);
                return Ok(upload);
            }
            let limit = if is_file {
                UPLOAD_LIMIT
            } else {
                SMALL_FIELD_LIMIT
            };
            if size <= limit {
                value.extend_from_slice(&chunk);
            } else {
                value = Vec::new();
            }
        }
        match name.as_str() {
            "file" => {
                upload.size = size;
                upload.bytes = if size <= UPLOAD_LIMIT {
                    value
                } else {
                    Vec::new()
                };
            }
            "csrf" => upload.csrf = String::from_utf8_lossy(&value).into_owned(),
            "prune" => upload.prune = !value.is_empty(),
            _ => {}
        }
    }
    Ok(upload)
}

#[derive(Template)]
#[template(path = "reports/roster_preview.html")]
struct PreviewPage {
    css: &'static str,
    reader: Reader,
    file_name: String,
    /// People in the file.
    rows: usize,
    /// Bad lines and other problems with the file: nothing can be imported.
    problems: Vec<String>,
    counts: Option<Counts>,
    /// Who is in the roster but not in the file (removed with prune, or kept).
    absent: Vec<String>,
    prune: bool,
    /// The file for the confirm form (URL-safe base64) and its SHA-256 (hex).
    file: String,
    sha256: String,
    /// The upload form, offered again when the file has problems.
    upload_path: &'static str,
    import_path: &'static str,
    file_problems: Vec<String>,
    limit: String,
    /// How many problems the page lists.
    shown: usize,
}

/// A domain problem as a sentence: "line 4: ..." as "Line 4: ...".
fn sentence(p: &str) -> String {
    let mut chars = p.chars();
    match chars.next() {
        Some(c) => c.to_uppercase().chain(chars).collect(),
        None => String::new(),
    }
}

fn sha256_hex(bytes: &[u8]) -> String {
    Sha256::digest(bytes)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// The preview of `bytes`: its problems, or what importing it would change. Writes nothing.
fn preview(
    conn: &mut crate::db::DbConn,
    reader: Reader,
    file_name: String,
    bytes: &[u8],
    prune: bool,
) -> AppResult<(StatusCode, String)> {
    let checked = roster::parse(bytes).and_then(|parsed| {
        let report = roster::import(conn, &parsed, true, prune)?;
        Ok((parsed.rows.len(), report))
    });
    let mut page = PreviewPage {
        css: REPORT_CSS_PATH,
        reader,
        file_name,
        rows: 0,
        problems: Vec::new(),
        counts: None,
        absent: Vec::new(),
        prune,
        file: String::new(),
        sha256: String::new(),
        upload_path: UPLOAD_PATH,
        import_path: IMPORT_PATH,
        file_problems: Vec::new(),
        limit: megabytes(UPLOAD_LIMIT),
        shown: 1000,
    };
    let status = match checked {
        Ok((rows, report)) => {
            page.rows = rows;
            page.counts = Some(Counts::from(&report));
            page.absent = report.absent;
            page.file = base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes);
            page.sha256 = sha256_hex(bytes);
            StatusCode::OK
        }
        Err(AppError::Validation(problems)) => {
            page.problems = problems.iter().map(|p| sentence(p)).collect();
            StatusCode::BAD_REQUEST
        }
        Err(e) => return Err(e),
    };
    Ok((status, render(&page)?))
}

fn html(status: StatusCode, body: String) -> HttpResponse {
    HttpResponse::build(status)
        .content_type("text/html; charset=utf-8")
        .body(body)
}

/// The roster page again, its upload form showing `problem` next to the file field.
async fn form_again(
    who: super::signed_in::SignedIn,
    state: &web::Data<AppState>,
    status: StatusCode,
    problem: String,
    prune: bool,
) -> Result<HttpResponse, PageError> {
    let st = state.clone();
    let body = blocking(move || {
        let mut conn = st.pool.get()?;
        roster_form_page(&mut conn, who.reader(), vec![problem], prune, None)
    })
    .await?;
    Ok(html(status, body))
}

async fn upload(
    req: HttpRequest,
    PageReader(who): PageReader,
    payload: Multipart,
    state: web::Data<AppState>,
) -> Result<HttpResponse, PageError> {
    // Not even read for anyone but an admin signed in with a session (a bearer token has no
    // CSRF token to send back, so it cannot post this form).
    admins_only(&who.user)?;
    if who.session.is_none() {
        admin_form(&who, "")?;
    }
    // A request far larger than anything accepted is refused before it is read.
    let declared = req
        .headers()
        .get(actix_web::http::header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<usize>().ok());
    let upload = match declared {
        Some(n) if n > DRAIN_LIMIT => Upload {
            size: n,
            abandoned: true,
            ..Upload::default()
        },
        _ => match read_upload(payload).await {
            Ok(u) => u,
            // Nothing could be read, not even the CSRF token: the form again, which changes
            // nothing.
            Err(AppError::Validation(p)) => {
                return form_again(who, &state, StatusCode::BAD_REQUEST, p.join("; "), false).await
            }
            Err(e) => return Err(e.into()),
        },
    };
    // The CSRF token comes before the file in the form, so it is there even when the file
    // was too large to keep; only a request refused by its declared length has none.
    if !(upload.abandoned && upload.csrf.is_empty()) {
        admin_form(&who, &upload.csrf)?;
    }
    let prune = upload.prune;
    if upload.abandoned || upload.size > UPLOAD_LIMIT {
        let size = if upload.abandoned {
            format!("more than {}", megabytes(upload.size.max(DRAIN_LIMIT)))
        } else {
            megabytes(upload.size)
        };
        let problem = format!(
            "file: the file is {size}; the limit is {}. Leave out columns reports do not need, or import a roster this large on the server with `worklife roster import FILE`, which has no limit",
            megabytes(UPLOAD_LIMIT)
        );
        return form_again(who, &state, StatusCode::PAYLOAD_TOO_LARGE, problem, prune).await;
    }
    if upload.file_name.is_empty() && upload.bytes.is_empty() {
        let problem = "file: choose the roster file (CSV) to upload".to_string();
        return form_again(who, &state, StatusCode::BAD_REQUEST, problem, prune).await;
    }
    if upload.bytes.is_empty() {
        let problem = format!(
            "file: the file \"{}\" is empty; choose the roster file (CSV) with one line per person",
            upload.file_name
        );
        return form_again(who, &state, StatusCode::BAD_REQUEST, problem, prune).await;
    }
    let st = state.clone();
    let (status, body) = blocking(move || {
        let mut conn = st.pool.get()?;
        preview(
            &mut conn,
            who.reader(),
            upload.file_name,
            &upload.bytes,
            prune,
        )
    })
    .await?;
    Ok(html(status, body))
}

/// The confirm form of the preview page.
#[derive(Deserialize)]
struct Confirm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    file: String,
    #[serde(default)]
    sha256: String,
    #[serde(default)]
    file_name: String,
    #[serde(default)]
    prune: String,
}

async fn confirm(
    PageReader(who): PageReader,
    form: web::Form<Confirm>,
    state: web::Data<AppState>,
) -> Result<HttpResponse, PageError> {
    admin_form(&who, &form.csrf)?;
    let form = form.into_inner();
    let again = || {
        AppError::validation(
            "the previewed file did not come back intact; upload it again and confirm once more",
        )
    };
    let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(form.file.trim())
        .map_err(|_| again())?;
    if bytes.is_empty() || bytes.len() > UPLOAD_LIMIT || sha256_hex(&bytes) != form.sha256 {
        return Err(again().into());
    }
    let prune = !form.prune.is_empty();
    let st = state.clone();
    let outcome = blocking(move || {
        let mut conn = st.pool.get()?;
        // Checked again: the file is the one previewed, but the roster may have changed since
        // (another import, from here or the CLI), and the truth is what this import does.
        let parsed = roster::parse(&bytes);
        let imported =
            parsed.and_then(|p| roster::import_audited(&mut conn, &p, prune, &who.user.email));
        match imported {
            Ok(report) => Ok(Ok(report)),
            Err(AppError::Validation(_)) => {
                preview(&mut conn, who.reader(), form.file_name, &bytes, prune).map(Err)
            }
            Err(e) => Err(e),
        }
    })
    .await?;
    match outcome {
        Ok(r) => Ok(see_other(&Counts::from(&r).confirmation_path())),
        Err((status, body)) => Ok(html(status, body)),
    }
}
