//! The web service: the anonymous answer form and the JSON API.

use std::net::TcpListener;

use actix_web::dev::Server;
use actix_web::{web, App, HttpResponse, HttpServer};

use crate::configuration::Settings;
use crate::db::DbPool;
use crate::responses::InstrumentCache;

/// What every handler may use.
#[derive(Clone)]
pub struct AppState {
    pub pool: DbPool,
    pub settings: Settings,
    pub instruments: InstrumentCache,
}

/// Builds the server on a bound listener (port 0 in tests).
pub fn run(listener: TcpListener, state: AppState) -> anyhow::Result<Server> {
    let data = web::Data::new(state);
    let server = HttpServer::new(move || {
        App::new().app_data(data.clone()).route(
            "/healthz",
            web::get().to(|| async { HttpResponse::Ok().body("ok") }),
        )
    })
    .listen(listener)?
    .run();
    Ok(server)
}
