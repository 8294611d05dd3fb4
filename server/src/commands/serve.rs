//! `worklife serve`.

use std::net::TcpListener;

use crate::cli::ServeArgs;
use crate::responses::InstrumentCache;
use crate::web::{self, AppState};
use crate::{demo, telemetry};

pub fn run(args: ServeArgs) -> anyhow::Result<()> {
    let (mut settings, pool) = super::storage()?;
    telemetry::init(&settings.log_format);
    if let Some(bind) = args.bind {
        settings.bind = bind;
    }
    if args.demo {
        demo::ensure(&pool, &settings, demo::DEFAULT_SEED)?;
    }
    let listener = TcpListener::bind(&settings.bind)?;
    let address = listener.local_addr()?;
    // Tests and scripts read this line to find the port, so it goes out at once.
    {
        use std::io::Write;
        let mut out = std::io::stdout().lock();
        writeln!(out, "worklife listening on http://{address}")?;
        out.flush()?;
    }
    if settings.mail.worker {
        crate::commands::mail::spawn_background(&pool, &settings)?;
    }
    // Requests are logged by `web::spans` (route templates only, A4), set up in `web::run`.
    let state = AppState {
        pool,
        settings,
        instruments: InstrumentCache::default(),
    };
    actix_web::rt::System::new()
        .block_on(async move { web::run(listener, state)?.await.map_err(Into::into) })
}
