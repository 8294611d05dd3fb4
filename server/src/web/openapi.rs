//! The OpenAPI document, generated from the handlers' `#[utoipa::path]` annotations and the
//! types they read and write (so it cannot drift from the code), served as JSON at
//! `/api/v1/openapi.json` and as a page at `/api/docs`. The page is rendered on the server
//! from the same document, with the binary's own stylesheet: no script, no CDN.

use std::sync::OnceLock;

use actix_web::http::header;
use actix_web::{web, HttpResponse};
use askama::Template;
use serde_json::Value;
use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::{Modify, OpenApi};

use super::{api, comments_page, ops, reports_api, REPORT_CSS_PATH};
use crate::error::AppError;

pub const JSON_PATH: &str = "/api/v1/openapi.json";
pub const DOCS_PATH: &str = "/api/docs";

pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.route(JSON_PATH, web::get().to(json))
        .route(DOCS_PATH, web::get().to(page));
}

#[derive(OpenApi)]
#[openapi(
    info(
        title = "Worklife API",
        version = "1",
        description = "Reports of closed survey waves, cut from each wave's suppressed release: \
            a hidden cell carries its status and no figure. Report routes take a bearer token \
            (`worklife token create`) or a signed-in session; every read is audited. \
            Answers are submitted with a single-use answer link's token."
    ),
    paths(
        reports_api::list_waves,
        reports_api::heatmap,
        reports_api::heatmap_csv,
        reports_api::profiles,
        reports_api::items,
        comments_page::comments_api,
        comments_page::comments_csv,
        api::submit,
        ops::healthz,
        ops::readyz,
        json,
    ),
    components(schemas(super::error::Problem)),
    modifiers(&BearerAuth),
    security(("bearer" = [])),
    tags(
        (name = "reports", description = "Figures of closed waves, within the reader's scope"),
        (name = "answers", description = "Submitting an answer sheet"),
        (name = "operations", description = "Health and readiness (metrics are on their own listener, `metrics_bind`)"),
    )
)]
pub struct ApiDoc;

struct BearerAuth;

impl Modify for BearerAuth {
    fn modify(&self, doc: &mut utoipa::openapi::OpenApi) {
        let components = doc.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(HttpBuilder::new().scheme(HttpAuthScheme::Bearer).build()),
        );
    }
}

/// The document as JSON, built once.
pub fn document() -> &'static str {
    static DOC: OnceLock<String> = OnceLock::new();
    DOC.get_or_init(|| {
        ApiDoc::openapi()
            .to_pretty_json()
            .unwrap_or_else(|e| format!("{{\"error\": \"the OpenAPI document failed: {e}\"}}"))
    })
}

/// This document.
#[utoipa::path(
    get,
    path = "/api/v1/openapi.json",
    tag = "operations",
    security(()),
    responses((status = 200, description = "The OpenAPI 3.1 document", content_type = "application/json"))
)]
async fn json() -> HttpResponse {
    HttpResponse::Ok()
        .content_type("application/json")
        .body(document())
}

/// One operation of the document, as the page lists it.
struct Operation {
    method: String,
    path: String,
    summary: String,
    description: String,
    auth: bool,
    parameters: Vec<Field>,
    request: Option<Body>,
    responses: Vec<Response>,
}

struct Response {
    status: String,
    when: String,
    body: Option<Body>,
}

/// A request or response body: its schema (a link to it when it is a named one) and type.
struct Body {
    schema: String,
    anchor: Option<String>,
    media: String,
}

/// A parameter or a schema property.
struct Field {
    name: String,
    kind: String,
    required: bool,
    description: String,
}

struct Schema {
    name: String,
    description: String,
    fields: Vec<Field>,
}

#[derive(Template)]
#[template(path = "reports/api_docs.html")]
struct DocsPage {
    css: &'static str,
    json_path: &'static str,
    title: String,
    description: String,
    operations: Vec<Operation>,
    schemas: Vec<Schema>,
}

/// A text of the document as plain words: the Markdown backticks of the doc comments go.
fn text(v: &Value) -> String {
    v.as_str().unwrap_or_default().replace('`', "")
}

/// A schema's type in words: its name for a reference, `array of X`, `X or null`.
fn kind(v: &Value) -> String {
    if let Some(r) = v.get("$ref").and_then(Value::as_str) {
        return r.rsplit('/').next().unwrap_or(r).to_string();
    }
    if let Some(all) = v
        .get("oneOf")
        .or_else(|| v.get("anyOf"))
        .and_then(Value::as_array)
    {
        return all.iter().map(kind).collect::<Vec<_>>().join(" or ");
    }
    if let Some(values) = v.get("enum").and_then(Value::as_array) {
        let names: Vec<String> = values.iter().map(|x| x.to_string()).collect();
        return format!("one of {}", names.join(", "));
    }
    let types: Vec<String> = match v.get("type") {
        Some(Value::String(t)) => vec![t.clone()],
        Some(Value::Array(ts)) => ts.iter().map(text).collect(),
        _ => Vec::new(),
    };
    let items = v.get("items").map(kind);
    let prefix = v
        .get("prefixItems")
        .and_then(Value::as_array)
        .map(|p| p.iter().map(kind).collect::<Vec<_>>().join(", "));
    types
        .iter()
        .map(|t| match (t.as_str(), &items, &prefix) {
            ("array", _, Some(p)) => format!("pair of ({p})"),
            ("array", Some(i), _) => format!("array of {i}"),
            _ => t.clone(),
        })
        .collect::<Vec<_>>()
        .join(" or ")
}

fn body(content: &Value) -> Option<Body> {
    let (media, v) = content.as_object()?.iter().next()?;
    let schema = v.get("schema").map(kind).unwrap_or_default();
    let named = v.get("schema").and_then(|s| s.get("$ref")).is_some();
    Some(Body {
        anchor: named.then(|| format!("schema-{schema}")),
        schema,
        media: media.clone(),
    })
}

fn docs_page(doc: &Value) -> DocsPage {
    let mut operations = Vec::new();
    for (path, item) in doc["paths"].as_object().into_iter().flatten() {
        for (method, op) in item.as_object().into_iter().flatten() {
            operations.push(Operation {
                method: method.to_uppercase(),
                path: path.clone(),
                summary: text(&op["summary"]),
                description: text(&op["description"]),
                // An operation with `security: [{}]` needs no credentials.
                auth: !op["security"].as_array().is_some_and(|s| {
                    s.iter()
                        .any(|x| x.as_object().is_some_and(|o| o.is_empty()))
                }),
                parameters: op["parameters"]
                    .as_array()
                    .into_iter()
                    .flatten()
                    .map(|p| Field {
                        name: format!("{} ({})", text(&p["name"]), text(&p["in"])),
                        kind: kind(&p["schema"]),
                        required: p["required"].as_bool().unwrap_or(false),
                        description: text(&p["description"]),
                    })
                    .collect(),
                request: body(&op["requestBody"]["content"]),
                responses: op["responses"]
                    .as_object()
                    .into_iter()
                    .flatten()
                    .map(|(status, r)| Response {
                        status: status.clone(),
                        when: text(&r["description"]),
                        body: body(&r["content"]),
                    })
                    .collect(),
            });
        }
    }
    let schemas = doc["components"]["schemas"]
        .as_object()
        .into_iter()
        .flatten()
        .map(|(name, s)| {
            let required: Vec<&str> = s["required"]
                .as_array()
                .into_iter()
                .flatten()
                .filter_map(Value::as_str)
                .collect();
            Schema {
                name: name.clone(),
                description: text(&s["description"]),
                fields: match s["properties"].as_object() {
                    Some(props) => props
                        .iter()
                        .map(|(field, p)| Field {
                            name: field.clone(),
                            kind: kind(p),
                            required: required.contains(&field.as_str()),
                            description: text(&p["description"]),
                        })
                        .collect(),
                    None => vec![Field {
                        name: "(the value)".into(),
                        kind: kind(s),
                        required: true,
                        description: String::new(),
                    }],
                },
            }
        })
        .collect();
    DocsPage {
        css: REPORT_CSS_PATH,
        json_path: JSON_PATH,
        title: text(&doc["info"]["title"]),
        description: text(&doc["info"]["description"]),
        operations,
        schemas,
    }
}

/// The API reference as a page, for people; tools read the JSON.
async fn page() -> Result<HttpResponse, super::error::PageError> {
    let doc: Value =
        serde_json::from_str(document()).map_err(|e| AppError::Unexpected(e.into()))?;
    let body = docs_page(&doc)
        .render()
        .map_err(|e| AppError::Unexpected(e.into()))?;
    Ok(HttpResponse::Ok()
        .insert_header((header::CONTENT_TYPE, "text/html; charset=utf-8"))
        .body(body))
}
